// The model inspector's public surface: what the CLI, the metadata Job and the BaseModel
// controller use.
export { NotAModelError, inspectModel } from './inspect.ts';
export type { InspectOptions, NotAModelReason } from './inspect.ts';
export {
  TERMINATION_MESSAGE_LIMIT,
  failureResult,
  inspectResult,
  parseInspectResult,
  renderTable,
  terminationMessage,
} from './report.ts';
export type { FailureReason, InspectResult } from './report.ts';
export type {
  DiffusionComponent,
  DiffusionPipeline,
  Finding,
  MemoryEstimate,
  ModelCapability,
  ModelInspection,
  ModelMetadata,
  NameVersion,
  ParameterSource,
  Severity,
} from './types.ts';
