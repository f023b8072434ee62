// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a candidate takes the
// lease when it is free or its holder has not renewed it for leaseDuration (timed on the local
// clock from when this candidate last saw the record change, so clock skew between nodes does
// not matter); writes carry the resourceVersion read, so two candidates cannot both win; a
// leader that cannot renew within renewDeadline steps down. On stop the leader releases the
// lease (empty holder), so that another replica takes over at its next retry, not after
// leaseDuration.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { realClock, sleep, type Clock } from './clock.ts';
import { isAlreadyExists, isConflict } from './errors.ts';
import { microTime, type KubeClient, type KubeObject } from './kube.ts';
import { silentLogger, type Logger } from './log.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { resources } from './resources.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: KubeClient;
  /** The Lease's name and namespace. */
  name: string;
  namespace: string;
  /** Unique per replica; default hostname_uuid. */
  identity?: string;
  /** How long a lease stays valid without renewal; default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it steps down; default 10 s. */
  renewDeadlineMs?: number;
  /** Time between tries; default 2 s. */
  retryPeriodMs?: number;
  /**
   * Give the lease up on stop() so that another replica takes over at once; default true. Only
   * safe when everything done as leader has stopped before stop() is called.
   */
  releaseOnStop?: boolean;
  /** Called on becoming leader; `signal` aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void;
  /** Called when leadership ends, lost or released. */
  onStoppedLeading(): void;
  /** Called when the holder this candidate sees changes (including to itself). */
  onNewLeader?(identity: string): void;
  log?: Logger;
  metrics?: RuntimeMetrics;
  clock?: Clock;
}

/** How long past the lease duration an unrenewed leadership is reported unhealthy (client-go). */
const HEALTH_TOLERANCE_MS = 20_000;

export class LeaderElector {
  readonly identity: string;
  #o: Required<
    Pick<LeaderElectionOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>
  > &
    LeaderElectionOptions;
  #clock: Clock;
  #log: Logger;
  #stop = new AbortController();
  #leading: AbortController | undefined;
  #observed: { spec: LeaseSpec; at: number } | undefined;
  #lastRenew = 0;
  #running: Promise<void> | undefined;
  #reportedLeader: string | undefined;

  constructor(options: LeaderElectionOptions) {
    const o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      ...options,
    };
    if (!(o.leaseDurationMs > o.renewDeadlineMs)) {
      throw new RangeError('leaseDuration must be greater than renewDeadline');
    }
    if (!(o.renewDeadlineMs > o.retryPeriodMs * 1.2)) {
      throw new RangeError('renewDeadline must be greater than 1.2 x retryPeriod');
    }
    this.#o = o;
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.#clock = options.clock ?? realClock;
    this.#log = (options.log ?? silentLogger).child({
      lease: `${options.namespace}/${options.name}`,
      identity: this.identity,
    });
  }

  isLeader(): boolean {
    return this.#leading !== undefined;
  }

  /** False when this replica leads but has not renewed for well past the lease duration. */
  healthy(): boolean {
    if (!this.#leading) return true;
    return this.#clock.now() - this.#lastRenew <= this.#o.leaseDurationMs + HEALTH_TOLERANCE_MS;
  }

  /** Campaigns, leads until stopped or until renewal fails; resolves when done either way. */
  run(): Promise<void> {
    this.#running ??= this.#run();
    return this.#running;
  }

  /** Stops campaigning; a leader steps down and releases the lease first. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    this.#setMetric(0);
    const stop = this.#stop.signal;
    if (!(await this.#acquire())) return;
    this.#leading = new AbortController();
    this.#setMetric(1);
    this.#log.info('became leader');
    this.#o.onStartedLeading(this.#leading.signal);
    await this.#renewUntilLost();
    const released = stop.aborted && this.#o.releaseOnStop !== false && (await this.#release());
    this.#leading.abort();
    this.#leading = undefined;
    this.#setMetric(0);
    this.#log.info({ released }, stop.aborted ? 'stepped down' : 'lost leadership');
    this.#o.onStoppedLeading();
  }

  async #acquire(): Promise<boolean> {
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      if (await this.#tryAcquireOrRenew(this.#o.retryPeriodMs)) return true;
      // client-go's jitter factor: spreads candidates that retry together.
      await sleep(this.#clock, this.#o.retryPeriodMs * (1 + Math.random() * 1.2), stop);
    }
    return false;
  }

  /** Renews every retryPeriod; returns when stopped or when a renewal round hits its deadline. */
  async #renewUntilLost(): Promise<void> {
    const stop = this.#stop.signal;
    for (;;) {
      await sleep(this.#clock, this.#o.retryPeriodMs, stop);
      if (stop.aborted) return;
      const deadline = this.#clock.now() + this.#o.renewDeadlineMs;
      while (!(await this.#tryAcquireOrRenew(deadline - this.#clock.now()))) {
        const left = deadline - this.#clock.now();
        if (left <= 0) return;
        await sleep(this.#clock, Math.min(this.#o.retryPeriodMs, left), stop);
        if (stop.aborted) return;
      }
    }
  }

  /** One try: true if this candidate holds the lease afterwards. */
  async #tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const { client, name, namespace } = this.#o;
    const call = { timeoutMs: Math.max(1, Math.round(timeoutMs)) };
    const now = new Date();
    const mine = (old: LeaseSpec | undefined): LeaseSpec => {
      const held = old?.holderIdentity === this.identity;
      return {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
        acquireTime: held && old?.acquireTime ? old.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: held ? (old?.leaseTransitions ?? 0) : (old?.leaseTransitions ?? -1) + 1,
      };
    };
    try {
      const lease = await client.get<Lease>(resources.leases, name, namespace, call);
      if (!lease) {
        const spec = mine(undefined);
        await client.create<Lease>(
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec,
          },
          call,
        );
        this.#observe(spec, true);
        return true;
      }
      const old = lease.spec ?? {};
      this.#observe(old, false);
      const holder = old.holderIdentity;
      const observedAt = this.#observed?.at ?? 0;
      const validFor = (old.leaseDurationSeconds ?? 0) * 1000;
      if (holder && holder !== this.identity && observedAt + validFor > this.#clock.now()) {
        return false;
      }
      const spec = mine(old);
      await client.replace<Lease>({ ...lease, spec }, call);
      this.#observe(spec, true);
      return true;
    } catch (err) {
      // A conflict is another candidate's write winning the race: an ordinary lost try.
      if (!isConflict(err) && !isAlreadyExists(err)) {
        this.#log.warn({ err }, 'lease read or write failed');
      }
      return false;
    }
  }

  /** Records the lease record seen; the lease-validity timer restarts only when it changed. */
  #observe(spec: LeaseSpec, ownWrite: boolean): void {
    const changed =
      !this.#observed ||
      this.#observed.spec.holderIdentity !== spec.holderIdentity ||
      this.#observed.spec.renewTime !== spec.renewTime ||
      this.#observed.spec.leaseTransitions !== spec.leaseTransitions;
    if (changed) this.#observed = { spec, at: this.#clock.now() };
    if (ownWrite) this.#lastRenew = this.#clock.now();
    const holder = spec.holderIdentity ?? '';
    if (holder && holder !== this.#reportedLeader) {
      this.#reportedLeader = holder;
      this.#o.onNewLeader?.(holder);
    }
  }

  /** Empties the holder (when still ours), so the next candidate need not wait out the lease. */
  async #release(): Promise<boolean> {
    const { client, name, namespace } = this.#o;
    const call = { timeoutMs: this.#o.renewDeadlineMs };
    try {
      const lease = await client.get<Lease>(resources.leases, name, namespace, call);
      if (!lease || lease.spec?.holderIdentity !== this.identity) return false;
      const now = microTime(new Date());
      await client.replace<Lease>(
        {
          ...lease,
          spec: {
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: lease.spec.leaseTransitions ?? 0,
          },
        },
        call,
      );
      return true;
    } catch (err) {
      this.#log.warn({ err }, 'releasing the lease failed; the next leader waits for it to expire');
      return false;
    }
  }

  #setMetric(value: 0 | 1): void {
    this.#o.metrics?.leaderStatus.set({ name: this.#o.name }, value);
  }
}
