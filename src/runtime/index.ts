// The operator runtime: what controllers build on. See manager.ts for the process as a whole.
export { realClock, ManualClock, sleep, type Clock, type Timer } from './clock.ts';
export {
  fromKubeConfig,
  fromKubeconfigFiles,
  inCluster,
  loadConnection,
  type Connection,
  type RequestAuth,
} from './connection.ts';
export {
  Controller,
  TerminalError,
  type ControllerOptions,
  type ReconcileContext,
  type ReconcileOutcome,
  type Reconciler,
  type Request,
  type Source,
  type SourceLike,
} from './controller.ts';
export {
  KubeApiError,
  apiStatusCode,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  type ApiStatus,
} from './errors.ts';
export {
  Informer,
  type EventHandlers,
  type InformerOptions,
  type InformerStats,
  type ListerWatcher,
} from './informer.ts';
export {
  KubeClient,
  keyOf,
  microTime,
  objectKey,
  parseKey,
  parseTime,
  type ApplyOptions,
  type CallOptions,
  type DeleteOptions,
  type EventInput,
  type KubeClientOptions,
  type KubeObject,
  type ListOptions,
  type ListResult,
  type WatchEvent,
  type WatchOptions,
} from './kube.ts';
// Owner references are built once, for builders and controllers alike.
export { controllerReference } from '../builders/owner.ts';
export { LeaderElector, type LeaderElectionOptions, type Lease, type LeaseSpec } from './leader.ts';
export { createLogger, silentLogger, type Logger, type LoggerOptions } from './log.ts';
export {
  LeaderElectionLostError,
  Manager,
  type LeaderElectionConfig,
  type ListenAddress,
  type ManagerOptions,
} from './manager.ts';
export { RuntimeMetrics, type ReconcileResult } from './metrics.ts';
export {
  ItemExponentialBackoff,
  MaxOfRateLimiter,
  TokenBucket,
  defaultRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
} from './ratelimit.ts';
export {
  apiVersionOf,
  parseApiVersion,
  resourcePath,
  resourceType,
  resources,
  type ObjectRef,
  type ResourceType,
} from './resources.ts';
export {
  checksHandler,
  metricsHandler,
  startServer,
  type Check,
  type RunningServer,
} from './server.ts';
export { OWNER_INDEX, Store, ownerUidIndex, type IndexFunc } from './store.ts';
export { WorkQueue, type QueueMetrics, type WorkQueueOptions } from './workqueue.ts';
