// Small file-system questions asked in several places.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when `path` exists and this process may execute it. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A program on `env.PATH`, or undefined. */
export function which(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, program))) return join(dir, program);
  }
  return undefined;
}
