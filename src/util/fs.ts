// Small file-system questions asked in several places.
import { accessSync, constants } from 'node:fs';

/** True when `path` exists and this process may execute it. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
