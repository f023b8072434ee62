import { UserError } from '../../errors.ts';
import type { CliIo } from '../io.ts';

export async function run(_argv: string[], _io: CliIo): Promise<number> {
  throw new UserError('"run" is not implemented yet');
}
