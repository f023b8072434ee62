// Every controller the operator runs. Each module registers its informers and controller on the
// manager; the manager runs them on the leader only.
import type { Manager } from '../runtime/index.ts';
import type { OperatorSettings } from './settings.ts';
import { registerNotebookValidationJobController } from '../controllers/notebookvalidationjob/controller.ts';
import { registerModelControllers } from '../controllers/basemodel/controller.ts';
import { registerInferenceServiceController } from '../controllers/inferenceservice/controller.ts';

export type RegisterController = (manager: Manager, settings: OperatorSettings) => void;

export const CONTROLLERS: readonly RegisterController[] = [
  registerNotebookValidationJobController,
  registerModelControllers,
  registerInferenceServiceController,
];
