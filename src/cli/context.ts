// What every CLI command handler receives, and the helpers they all need.
import * as fs from 'node:fs';
import { recoverProjectWrites } from '../core/store/recovery';
import { collectionResolver } from '../core/store/skillmeatHome';
import { defaultStoreDir, VersionStore } from '../core/store/versionStore';
import type { StoreKeyProvider } from '../core/store/storeEncryption';
import { cliKeys } from './store';
import { describeRecovery, recoverInterruptedOperations } from '../core/sync/recover';
import { flagString, type ParsedArgs } from './args';
import type { CliIO } from './output';

/**
 * The context main.ts gives every command handler. Path flags are already absolute (against io.cwd). `store`: the
 * version store start-up recovery opened, handed on to the command (see {@link openStore}) so it is loaded once.
 */
export interface CommandContext { io: CliIO; args: ParsedArgs; project: string; json: boolean; store?: VersionStore; keys?: StoreKeyProvider }

/** The key of an encrypted version store (--key-file, the environment, a prompt), asked at most once a run. */
export async function storeKeys(ctx: CommandContext): Promise<StoreKeyProvider> {
  ctx.keys ??= await cliKeys(ctx.args, ctx.io);
  return ctx.keys;
}

/** The version store: `--store`, else `$SKILLMEAT_HOME/sync`. */
export function storeDir(ctx: CommandContext): string {
  return flagString(ctx.args, 'store') ?? defaultStoreDir(collectionResolver({ env: ctx.io.env }).home);
}

/** The command's version store: the one recovery opened (taken over, the caller closes it), else a new one. */
export async function openStore(ctx: CommandContext): Promise<VersionStore> {
  const kept = ctx.store;
  ctx.store = undefined;
  return kept ?? VersionStore.open(storeDir(ctx), { keys: await storeKeys(ctx) });
}

/**
 * Before a command that writes: finishes what an interrupted earlier write left in the project's profile roots,
 * the collection and the version store (see core/store/recovery), and says what it did on stderr.
 */
export async function recoverInterrupted(ctx: CommandContext): Promise<void> {
  const collection = collectionResolver({ env: ctx.io.env, collection: flagString(ctx.args, 'collection') }).resolve(undefined).path;
  const r = recoverProjectWrites({ projects: [ctx.project], collections: [collection], storeDir: storeDir(ctx) });
  for (const p of r.restored) ctx.io.err(`recovered: ${p} put back as it was before an interrupted write`);
  if (r.removed.length) ctx.io.err(`recovered: removed ${r.removed.length} leftover(s) of an interrupted write`);
  for (const p of r.problems) ctx.io.err(`warning: ${p}`);
  // Then operations whose journal says they never finished are rolled forward or back (core/sync/recover).
  if (!fs.existsSync(storeDir(ctx))) return;
  let store: VersionStore;
  try { store = await VersionStore.open(storeDir(ctx), { keys: await storeKeys(ctx) }); } catch { return; } // the command itself says what is wrong with the store
  try {
    for (const op of await recoverInterruptedOperations({ project: ctx.project, store })) ctx.io.err(describeRecovery(op));
  } catch (e) { store.close(); throw e; }
  ctx.store = store;
}
