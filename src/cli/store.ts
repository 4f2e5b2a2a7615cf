// `skillmeat-sync store status | encrypt | decrypt | rotate-key`: encryption at rest of the version store (SPEC §8),
// and the key every other command needs to open an encrypted store (--key-file, SKILLMEAT_SYNC_KEY,
// SKILLMEAT_SYNC_PASSPHRASE, or a prompt).
import * as path from 'node:path';
import { collectionResolver } from '../core/store/skillmeatHome';
import { convertStore, defaultStoreDir, StoreError, type ConvertReport } from '../core/store/versionStore';
import { MANIFEST_FILE, readManifest, type StoreManifest, type StoreKeyProvider } from '../core/store/storeEncryption';
import { cliStoreKeys, storeTarget, type StoreTarget } from '../core/store/storeKeys';
import { KeyError, writeNewKeyFile } from '../core/privacy/keys';
import { UsageError, flagString, resolveCommand, usageHint, type CommandGroup, type OptionSpec, type ParsedArgs } from './args';
import type { CliIO } from './output';
import { keyPrompt } from './prompt';
import { convertWorkspaceStates } from '../core/generators/stateEncryption';

/** The option every command that opens the version store takes. */
export const KEY_FILE_OPTION: OptionSpec = { type: 'string', value: 'F', help: 'key of an encrypted version store (a file only you can read); else SKILLMEAT_SYNC_KEY, SKILLMEAT_SYNC_PASSPHRASE or a prompt' };

/** The key provider of a command line: `--key-file` (relative to the caller), the environment, a prompt. */
export async function cliKeys(args: ParsedArgs, io: CliIO): Promise<StoreKeyProvider> {
  const keyFile = flagString(args, 'key-file');
  return cliStoreKeys({ keyFile: keyFile && path.resolve(io.cwd, keyFile), env: io.env, prompt: await keyPrompt(io) });
}

export const NEW_PASSPHRASE_ENV = 'SKILLMEAT_SYNC_NEW_PASSPHRASE';

type StoreHandler = (args: ParsedArgs, io: CliIO) => Promise<number>;

function storeDirOf(args: ParsedArgs, io: CliIO): string {
  const s = flagString(args, 'store');
  return s ? path.resolve(io.cwd, s) : defaultStoreDir(collectionResolver({ env: io.env }).home);
}

function describe(m: StoreManifest | undefined): string {
  if (!m) return 'plain (not encrypted)';
  const held = m.source === 'passphrase' ? `a passphrase (scrypt N=${m.kdf?.N}, r=${m.kdf?.r}, p=${m.kdf?.p})` : m.source === 'keychain' ? "VS Code's keychain" : 'a key you hold';
  return `encrypted (Fernet, key ${m.keyId}, from ${held})`;
}

/** A new passphrase: the environment, else asked twice on a terminal. */
async function newPassphrase(io: CliIO, env: string): Promise<string | undefined> {
  if (io.env[env] !== undefined) return io.env[env];
  const ask = await keyPrompt(io);
  if (!ask) return undefined;
  const first = await ask('New passphrase for the version store: ');
  if (first !== await ask('The same passphrase again: ')) throw new KeyError('the two passphrases differ; nothing was changed');
  return first;
}

/** The new key of `encrypt` / `rotate-key`: --new-key F (made and written), a key file, the environment, else a passphrase. */
async function newTarget(args: ParsedArgs, io: CliIO, o: { keyFileOption: string; passEnv: string; keyEnv: boolean }): Promise<StoreTarget> {
  const made = flagString(args, 'new-key');
  const keyFile = flagString(args, o.keyFileOption);
  if (made && keyFile) throw new UsageError(`give --new-key or --${o.keyFileOption}, not both`);
  if (made) {
    const file = path.resolve(io.cwd, made);
    const key = writeNewKeyFile(file);
    io.err(`a new key was written to ${file} (readable by you only); keep it safe: the store cannot be read without it`);
    return storeTarget({ mode: 'key', env: {}, key });
  }
  if (keyFile) return storeTarget({ mode: 'key', env: {}, keyFile: path.resolve(io.cwd, keyFile) });
  if (o.keyEnv && io.env.SKILLMEAT_SYNC_KEY) return storeTarget({ mode: 'key', env: io.env });
  const passphrase = await newPassphrase(io, o.passEnv);
  if (passphrase === undefined) throw new KeyError(`a new key is needed: --new-key F, --${o.keyFileOption} F, ${o.keyEnv ? 'SKILLMEAT_SYNC_KEY, ' : ''}${o.passEnv}, or run on a terminal to be asked for a passphrase`);
  return storeTarget({ mode: 'passphrase', env: {}, passphrase });
}

/** Converts the store, then the generators' own state databases under it (each one atomic write), and says so. */
async function convert(io: CliIO, args: ParsedArgs, dir: string, verb: string, target: StoreTarget | undefined, keys?: StoreKeyProvider): Promise<number> {
  const r: ConvertReport = await convertStore(dir, target, { keys });
  const states = await convertWorkspaceStates(dir, target, keys);
  if (args.flags.has('json')) {
    io.out(JSON.stringify({ store: dir, from: r.from?.keyId ?? null, to: r.to?.keyId ?? null, versions: r.versions, blobs: r.blobs, blobBytes: r.blobBytes, stateDatabases: states }));
  } else {
    io.out(`${verb} the version store ${dir}: ${r.versions} version(s), ${r.blobs} blob(s) (${(r.blobBytes / 1e6).toFixed(1)} MB), ${states} state database(s); now ${describe(r.to)}`);
  }
  return 0;
}

const status: StoreHandler = async (args, io) => {
  const dir = storeDirOf(args, io);
  const m = readManifest(dir);
  if (args.flags.has('json')) io.out(JSON.stringify({ store: dir, encrypted: !!m, ...(m ? { keyId: m.keyId, source: m.source, kdf: m.kdf ?? null } : {}) }));
  else io.out(`${dir}: ${describe(m)}`);
  return 0;
};

const encrypt: StoreHandler = async (args, io) => {
  const dir = storeDirOf(args, io);
  if (readManifest(dir)) throw new StoreError(path.join(dir, MANIFEST_FILE), 'the store is already encrypted; use "skillmeat-sync store rotate-key" for another key');
  const target = await newTarget(args, io, { keyFileOption: 'key-file', passEnv: 'SKILLMEAT_SYNC_PASSPHRASE', keyEnv: true });
  return convert(io, args, dir, 'encrypted', target);
};

const decrypt: StoreHandler = async (args, io) => {
  const dir = storeDirOf(args, io);
  if (!readManifest(dir)) { io.out(`${dir}: already plain; nothing to do`); return 0; }
  return convert(io, args, dir, 'decrypted', undefined, await cliKeys(args, io));
};

const rotate: StoreHandler = async (args, io) => {
  const dir = storeDirOf(args, io);
  if (!readManifest(dir)) throw new StoreError(dir, 'the store is not encrypted; use "skillmeat-sync store encrypt"');
  const keys = await cliKeys(args, io);
  const target = await newTarget(args, io, { keyFileOption: 'new-key-file', passEnv: NEW_PASSPHRASE_ENV, keyEnv: false });
  return convert(io, args, dir, 're-encrypted', target, keys);
};

const NEW_KEY: OptionSpec = { type: 'string', value: 'F', help: 'make a new random key, write it to F (mode 600, never overwritten), and encrypt with it' };

/** `skillmeat-sync store …`. */
export const STORE_GROUP: CommandGroup<StoreHandler> = {
  prefix: 'store',
  summary: 'encryption at rest of the version store',
  common: {
    store: { type: 'string', value: 'DIR', help: 'version store (default: $SKILLMEAT_HOME/sync)' },
    json: { type: 'boolean', help: 'machine-readable output on stdout' },
  },
  details: 'Exit: 0 done, 2 error (a wrong key, a damaged or changed file: the conversion stops and nothing is overwritten).',
  commands: {
    status: { synopsis: '', summary: 'whether the version store is encrypted, and with which key', run: status },
    encrypt: {
      synopsis: '[--new-key F | --key-file F]', summary: 'encrypt the version store (blobs and index) with a key or a passphrase', run: encrypt,
      options: { 'new-key': NEW_KEY, 'key-file': { type: 'string', value: 'F', help: 'encrypt with the key in F (mode 600); else SKILLMEAT_SYNC_KEY, else a passphrase' } },
      details: 'Without a key, a passphrase is asked twice on the terminal (or read from SKILLMEAT_SYNC_PASSPHRASE) and stretched with scrypt (N=2^17) and a salt of this store; encryption.json in the store keeps the salt, the parameters and the key\'s id, never the key. Every other command then needs the key: --key-file F, SKILLMEAT_SYNC_KEY, SKILLMEAT_SYNC_PASSPHRASE or the prompt.',
    },
    decrypt: {
      synopsis: '[--key-file F]', summary: 'turn encryption off: the store becomes plain again', run: decrypt,
      options: { 'key-file': KEY_FILE_OPTION },
    },
    'rotate-key': {
      synopsis: '[--key-file F] [--new-key F | --new-key-file F]', summary: 're-encrypt the version store with a new key or passphrase', run: rotate,
      options: { 'key-file': KEY_FILE_OPTION, 'new-key': NEW_KEY, 'new-key-file': { type: 'string', value: 'F', help: 'the new key is in F (mode 600)' } },
      details: `Without --new-key or --new-key-file, a new passphrase is asked twice on the terminal (or read from ${NEW_PASSPHRASE_ENV}). The new store is written beside the old one and replacing encryption.json commits it: a kill leaves the old key's store or the new one's, both whole.`,
    },
  },
};

/** `skillmeat-sync store …`; returns the exit code. */
export async function storeCommand(argv: string[], io: CliIO): Promise<number> {
  try {
    const r = resolveCommand(STORE_GROUP, argv);
    if ('text' in r) { io[r.stream](r.text); return r.code; }
    return await r.run(r.args, io);
  } catch (e) {
    const usage = e instanceof UsageError;
    const known = usage || e instanceof StoreError || e instanceof KeyError;
    io.err(`error: ${known ? (e as Error).message : `unexpected error: ${(e as Error)?.message ?? String(e)}`}`);
    if (usage) io.err(usageHint(STORE_GROUP, argv[0]));
    return 2;
  }
}
