// The operator process: one Manager (informers, leader election, probes, metrics) running every
// controller, and the admission webhook server beside it. Webhooks serve on every replica, leader
// or not: admission must not wait for an election.
import { LEADER_ELECTION_LEASE } from '../install/rbac.ts';
import {
  Manager,
  type Connection,
  type LeaderElectionConfig,
  type ListenAddress,
  type Logger,
} from '../runtime/index.ts';
import { CONTROLLERS } from './controllers.ts';
import type { OperatorSettings } from './settings.ts';
import { startOperatorWebhook, type OperatorWebhookOptions } from './webhook.ts';

export interface OperatorOptions {
  connection: Connection;
  settings: OperatorSettings;
  log: Logger;
  /** Lease namespace and timings; false for a single replica without election. */
  leaderElection: Omit<LeaderElectionConfig, 'name'> | false;
  metrics: ListenAddress | false;
  health: ListenAddress | false;
  webhook: OperatorWebhookOptions | false;
  /** Stop on SIGTERM/SIGINT; default true. */
  handleSignals?: boolean;
}

/** Runs until a signal (resolves) or a lost lease (rejects with LeaderElectionLostError). */
export async function runOperator(options: OperatorOptions): Promise<void> {
  const { settings, log } = options;
  const manager = new Manager({
    connection: options.connection,
    namespace: settings.namespace,
    log,
    metrics: options.metrics,
    health: options.health,
    leaderElection: options.leaderElection && {
      ...options.leaderElection,
      name: LEADER_ELECTION_LEASE,
    },
    handleSignals: options.handleSignals ?? true,
  });
  for (const register of CONTROLLERS) register(manager, settings);
  const webhook = options.webhook
    ? await startOperatorWebhook(manager.client, options.webhook, {
        log,
        registry: manager.registry,
      })
    : undefined;
  try {
    await manager.start();
  } finally {
    await webhook?.close();
  }
}
