import { UserError } from '../../errors.ts';

/**
 * A control-plane step that failed for a reason the person can act on (no Go toolchain, a failed
 * build, a port in use, a component that crashed). The message starts with the step, so that
 * "start kube-apiserver: ..." says where it went wrong without a stack trace.
 */
export class ControlPlaneError extends UserError {
  readonly step: string;
  constructor(step: string, message: string) {
    super(`${step}: ${message}`, 1);
    this.name = 'ControlPlaneError';
    this.step = step;
  }
}
