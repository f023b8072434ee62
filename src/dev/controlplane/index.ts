// A real Kubernetes control plane as local processes, for integration tests and `nbv dev cluster`.
export { BINARY_NAMES, ensureBinaries, pinnedVersions, type Binaries } from './build.ts';
export {
  CONTROLLERS,
  startControlPlane,
  type ComponentInfo,
  type ControlPlane,
  type StartOptions,
} from './controlplane.ts';
export { ControlPlaneError } from './errors.ts';
export { isHealthy, type TlsFiles } from './http.ts';
export {
  COMPLETE_ANNOTATION,
  KWOK_NODE_NAME,
  completeAnnotation,
  type ContainerResult,
} from './kwok-stages.ts';
