// What every CLI command handler receives, and the helpers they all need.
import { collectionResolver } from '../core/store/skillmeatHome';
import { defaultStoreDir } from '../core/store/versionStore';
import { flagString, type ParsedArgs } from './args';
import type { CliIO } from './output';

/** The context main.ts gives every command handler. Path flags are already absolute (against io.cwd). */
export interface CommandContext { io: CliIO; args: ParsedArgs; project: string; json: boolean }

/** The version store: `--store`, else `$SKILLMEAT_HOME/sync`. */
export function storeDir(ctx: CommandContext): string {
  return flagString(ctx.args, 'store') ?? defaultStoreDir(collectionResolver({ env: ctx.io.env }).home);
}
