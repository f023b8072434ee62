/**
 * An error caused by what the user gave nbv (a file, a flag, a manifest). The CLI prints its
 * message without a stack trace and exits with `exitCode`.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** The message of anything thrown, for logs and conditions. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
