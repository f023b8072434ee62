// The operator process: shared informers, controllers, leader election, probes and metrics, and
// an orderly shutdown. Informers run on every replica (a stand-by has warm caches and is ready);
// controllers run only on the leader. On SIGTERM/SIGINT the manager stops taking work, lets
// running reconciles finish (up to a deadline), releases the lease so that a stand-by takes over
// at once, and closes its servers. Losing the lease ends start() with LeaderElectionLostError: the
// process should exit and be restarted, as controller-runtime's does.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  Controller,
  toSource,
  type ControllerOptions,
  type Source,
  type SourceLike,
} from './controller.ts';
import { Informer, type InformerOptions } from './informer.ts';
import { SERVICE_ACCOUNT, loadConnection, type Connection } from './connection.ts';
import { KubeClient, type KubeObject } from './kube.ts';
import { LeaderElector } from './leader.ts';
import { createLogger, type Logger } from './log.ts';
import { RuntimeMetrics } from './metrics.ts';
import {
  checksHandler,
  metricsHandler,
  startServer,
  type Check,
  type Handler,
  type RunningServer,
} from './server.ts';

export interface ListenAddress {
  port: number;
  host?: string;
}

export interface LeaderElectionConfig {
  /** Lease name, e.g. "nbv-operator". */
  name: string;
  /** Default: $POD_NAMESPACE, else the service account's namespace. */
  namespace?: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  /** Default: loadConnection() (kubeconfig file, else the pod's service account). */
  connection?: Connection | KubeConfig;
  client?: KubeClient;
  /** Watch only this namespace; all namespaces by default. */
  namespace?: string;
  log?: Logger;
  /** /metrics; default port 8080, false for none. */
  metrics?: ListenAddress | false;
  /** /healthz and /readyz; default port 8081, false for none. Same port as metrics: one server. */
  health?: ListenAddress | false;
  /** false runs controllers at once, with no lease (one replica, or tests). */
  leaderElection?: LeaderElectionConfig | false;
  /** How long running reconciles get to finish on shutdown; default 30 s. */
  gracefulShutdownMs?: number;
  /** Stop on SIGTERM/SIGINT; default true. */
  handleSignals?: boolean;
  /** Defaults for every informer (resync, watch timeouts...). */
  informer?: Pick<
    InformerOptions<KubeObject>,
    'resyncMs' | 'watchTimeoutSeconds' | 'watchIdleTimeoutMs'
  >;
  /** Adds prom-client's process_* and nodejs_* metrics; default true. */
  processMetrics?: boolean;
}

export class LeaderElectionLostError extends Error {
  constructor(lease: string) {
    super(`leader election lost: lease ${lease} was not renewed in time`);
    this.name = 'LeaderElectionLostError';
  }
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Manager {
  readonly client: KubeClient;
  readonly metrics: RuntimeMetrics;
  readonly log: Logger;
  #options: ManagerOptions;
  #informers = new Map<string, Informer>();
  #transforms = new Map<string, Source['transform']>();
  #controllers: Controller[] = [];
  #elector: LeaderElector | undefined;
  #servers: RunningServer[] = [];
  #state: State = 'new';
  #stopRequested: Promise<void>;
  #requestStop!: () => void;
  #failure: Error | undefined;
  #stopping: Promise<void> | undefined;
  #controllersStarted = false;
  #ports: { metrics?: number; health?: number } = {};

  constructor(options: ManagerOptions = {}) {
    this.#options = options;
    this.log = options.log ?? createLogger();
    this.client = options.client ?? new KubeClient(options.connection ?? loadConnection());
    this.metrics = new RuntimeMetrics({ processMetrics: options.processMetrics ?? true });
    this.#stopRequested = new Promise((resolve) => (this.#requestStop = resolve));
  }

  /** The registry behind /metrics: controllers add their own metrics to it. */
  get registry(): RuntimeMetrics['registry'] {
    return this.metrics.registry;
  }

  /** Ports actually listened on, once started (useful when port 0 was asked for). */
  get ports(): { metrics?: number; health?: number } {
    return { ...this.#ports };
  }

  /**
   * The shared informer of `source` (created on first use): reconcilers read from its `store`
   * instead of the apiserver. Must be asked for before start().
   */
  informer<T extends KubeObject = KubeObject>(sourceLike: SourceLike): Informer<T> {
    const source = toSource(sourceLike);
    const namespace = source.resource.namespaced
      ? (source.namespace ?? this.#options.namespace)
      : undefined;
    const { group, version, plural } = source.resource;
    const id = `${group}/${version}/${plural}|${namespace ?? ''}|${source.labelSelector ?? ''}`;
    let informer = this.#informers.get(id);
    const transform = this.#transforms.get(id);
    if (informer && transform !== source.transform) {
      throw new Error(`informer for ${plural} asked for with two different transforms`);
    }
    if (!informer) {
      if (this.#state !== 'new') throw new Error(`informer for ${plural} asked for after start()`);
      informer = new Informer(this.client, source.resource, {
        ...this.#options.informer,
        namespace,
        labelSelector: source.labelSelector,
        ...(source.transform ? { transform: source.transform } : {}),
        log: this.log,
      });
      this.#informers.set(id, informer);
      this.#transforms.set(id, source.transform);
    }
    return informer as unknown as Informer<T>;
  }

  addController(options: ControllerOptions): Controller {
    if (this.#state !== 'new') throw new Error(`controller ${options.name} added after start()`);
    if (this.#controllers.some((c) => c.name === options.name)) {
      throw new Error(`a controller named ${options.name} exists already`);
    }
    const controller = new Controller(options, {
      informer: (source) => this.informer(source),
      metrics: this.metrics,
      log: this.log,
    });
    this.#controllers.push(controller);
    return controller;
  }

  /** True once every informer has synced. */
  ready(): boolean {
    return [...this.#informers.values()].every((i) => i.hasSynced());
  }

  isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader() : this.#controllersStarted;
  }

  /**
   * Runs until stop() or a signal (resolves) or until leadership is lost (rejects with
   * LeaderElectionLostError) or the servers cannot listen (rejects).
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error('a manager starts once');
    this.#state = 'starting';
    const removeSignals = this.#options.handleSignals === false ? () => {} : this.#handleSignals();
    try {
      await this.#startServers();
      for (const informer of this.#informers.values()) informer.start();
      await Promise.race([
        Promise.all([...this.#informers.values()].map((i) => i.waitForSync())),
        this.#stopRequested,
      ]);
      if (this.#state === 'starting') {
        this.log.info({ informers: this.#informers.size }, 'caches synced');
        this.#state = 'running';
        this.#lead();
      }
      await this.#stopRequested;
    } catch (err) {
      this.#failure ??= err instanceof Error ? err : new Error(String(err));
    } finally {
      await this.stop();
      removeSignals();
    }
    if (this.#failure) throw this.#failure;
  }

  /** Shuts down (idempotent); resolves when everything has stopped. */
  stop(): Promise<void> {
    this.#requestStop();
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  #lead(): void {
    const config = this.#options.leaderElection;
    if (!config) {
      this.#startControllers();
      return;
    }
    const namespace = config.namespace ?? ownNamespace();
    this.#elector = new LeaderElector({
      client: this.client,
      name: config.name,
      namespace,
      identity: config.identity,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      log: this.log,
      metrics: this.metrics,
      onStartedLeading: () => this.#startControllers(),
      onStoppedLeading: () => {
        if (this.#state === 'stopping' || this.#state === 'stopped') return;
        this.#failure = new LeaderElectionLostError(`${namespace}/${config.name}`);
        this.log.error(this.#failure.message);
        void this.stop();
      },
      onNewLeader: (identity) => this.log.info({ leader: identity }, 'leader is now'),
    });
    this.#elector.run().catch((err: unknown) => {
      this.#failure ??= err instanceof Error ? err : new Error(String(err));
      void this.stop();
    });
  }

  #startControllers(): void {
    if (this.#state !== 'running') return;
    this.#controllersStarted = true;
    for (const controller of this.#controllers) controller.start();
  }

  async #shutdown(): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopping';
    this.log.info('shutting down');
    const deadline = this.#options.gracefulShutdownMs ?? 30_000;
    const drained = await Promise.all(this.#controllers.map((c) => c.stop(deadline)));
    if (drained.includes(false))
      this.log.warn('some reconciles did not finish before the deadline');
    // Only after the workers: a new leader must not reconcile while this one still writes.
    await this.#elector?.stop();
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
    await Promise.all(this.#servers.map((s) => s.close()));
    this.client.close();
    this.#state = 'stopped';
    this.log.info('stopped');
  }

  async #startServers(): Promise<void> {
    const { metrics = { port: 8080 }, health = { port: 8081 } } = this.#options;
    const healthRoutes: Record<string, Handler> = {
      '/healthz': checksHandler(this.#healthChecks()),
      '/readyz': checksHandler({ informers: () => this.ready() || 'caches not synced' }),
    };
    const metricsRoutes: Record<string, Handler> = { '/metrics': metricsHandler(this.registry) };
    if (metrics && health && metrics.port === health.port && metrics.port !== 0) {
      const server = await startServer({
        ...metrics,
        routes: { ...metricsRoutes, ...healthRoutes },
      });
      this.#servers.push(server);
      this.#ports = { metrics: server.port, health: server.port };
      return;
    }
    if (metrics) {
      const server = await startServer({ ...metrics, routes: metricsRoutes });
      this.#servers.push(server);
      this.#ports.metrics = server.port;
    }
    if (health) {
      const server = await startServer({ ...health, routes: healthRoutes });
      this.#servers.push(server);
      this.#ports.health = server.port;
    }
  }

  #healthChecks(): Record<string, Check> {
    return {
      ping: () => this.#state !== 'stopped' || 'manager stopped',
      leaderElection: () =>
        (this.#elector?.healthy() ?? true) ? true : 'lease not renewed in time',
    };
  }

  #handleSignals(): () => void {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals > 1) {
        this.log.warn({ signal }, 'second signal: exiting at once');
        process.exit(1);
      }
      this.log.info({ signal }, 'signal received');
      void this.stop();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    return () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
  }
}

function ownNamespace(): string {
  const fromEnv = process.env.POD_NAMESPACE;
  if (fromEnv) return fromEnv;
  const file = join(SERVICE_ACCOUNT, 'namespace');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new Error(
    'leader election needs a namespace for its Lease: set leaderElection.namespace or POD_NAMESPACE',
  );
}
