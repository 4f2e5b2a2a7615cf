// The generators' own state database follows the version store's encryption (issue 14): encrypted with the store's
// key once the store is, converted with it, refused with a clear error for a wrong or missing key; an ambrogio
// database is never touched. Real files, real sql.js, the CLI's main() for `state set/get`.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { convertStore } from '../../../src/core/store/versionStore';
import { newManifest, type StoreKeyProvider } from '../../../src/core/store/storeEncryption';
import { generateKey } from '../../../src/core/privacy/fernet';
import { openStateSource } from '../../../src/core/generators/stateOpen';
import { OwnStateStore } from '../../../src/core/generators/stateStore';
import { convertStateFile, convertWorkspaceStates, stateEncryptionOf, STATE_MAGIC } from '../../../src/core/generators/stateEncryption';
import { main } from '../../../src/cli/main';
import { useTempDirs, captureIO } from '../helpers';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0');
const keyed = (key: string): StoreKeyProvider => async () => key;

describe('state database encryption', () => {
  const tmp = useTempDirs();

  /** A store dir and a plain state file under it (the default location) holding one row. */
  const world = async () => {
    const home = tmp('home');
    const storeDir = path.join(home, 'sync');
    const file = path.join(storeDir, 'workspaces', '0123456789abcdef', 'state.db');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    (await OwnStateStore.open(file)).set('memory:plan', 'a secret value');
    return { home, storeDir, file };
  };

  it('once the store is encrypted, the next write encrypts the state with its key; reads need that key', async () => {
    const { storeDir, file } = await world();
    const key = generateKey();
    await convertStore(storeDir, { key, manifest: newManifest(key, 'key') });
    const enc = { storeDir, keys: keyed(key) };
    const s = await openStateSource({ path: file, kind: 'own' }, { encryption: enc });
    assert.equal(s.get('memory:plan')?.value, 'a secret value', 'the plain file is still read');
    (s as OwnStateStore).set('memory:next', 'another secret');
    const bytes = fs.readFileSync(file);
    assert.ok(bytes.toString('utf8').startsWith(STATE_MAGIC + '\n'));
    assert.ok(!bytes.includes('secret'), 'no plain value on disk');
    assert.equal(stateEncryptionOf(file)?.keyId, newManifest(key, 'key').keyId);
    assert.deepEqual((s as OwnStateStore).childEnv, { SKILLMEAT_SYNC_KEY: key }, 'the shim of a generator gets the key');

    const again = await openStateSource({ path: file, kind: 'own' }, { encryption: enc });
    assert.deepEqual(again.list(['*']).map((e) => e.value), ['another secret', 'a secret value']);
    await assert.rejects(openStateSource({ path: file, kind: 'own' }, { encryption: { storeDir } }), /state database is encrypted .*SKILLMEAT_SYNC_KEY/);
    await assert.rejects(openStateSource({ path: file, kind: 'own' }, { encryption: { storeDir, keys: keyed(generateKey()) } }), /wrong key for the state database/);
    assert.ok(fs.readFileSync(file).equals(bytes), 'nothing written by the refusals');
  });

  it('converts with the store (encrypt, rotate, decrypt) and leaves an ambrogio database alone', async () => {
    const { storeDir, file } = await world();
    const ambrogio = path.join(storeDir, 'workspaces', 'fedcba9876543210', 'state.db');
    fs.mkdirSync(path.dirname(ambrogio), { recursive: true });
    fs.copyFileSync(file, ambrogio);
    fs.writeFileSync(`${ambrogio}-wal`, ''); // a -wal beside it: ambrogio's, read-only for us
    const ambrogioBytes = fs.readFileSync(ambrogio);

    const k1 = generateKey();
    const t1 = { key: k1, manifest: newManifest(k1, 'key') };
    assert.equal(await convertWorkspaceStates(storeDir, t1, undefined), 1);
    assert.ok(fs.readFileSync(file).toString('utf8').startsWith(STATE_MAGIC));
    const k2 = generateKey();
    assert.equal(await convertWorkspaceStates(storeDir, { key: k2, manifest: newManifest(k2, 'key') }, keyed(k1)), 1);
    const read = await openStateSource({ path: file, kind: 'own' }, { encryption: { storeDir: tmp('none'), keys: keyed(k2) } });
    assert.equal(read.get('memory:plan')?.value, 'a secret value');
    assert.equal(await convertWorkspaceStates(storeDir, undefined, keyed(k2)), 1);
    assert.ok(fs.readFileSync(file).subarray(0, 16).equals(SQLITE_MAGIC), 'plain SQLite again');
    assert.equal((await OwnStateStore.open(file)).get('memory:plan')?.value, 'a secret value');
    assert.ok(fs.readFileSync(ambrogio).equals(ambrogioBytes), 'the ambrogio database is untouched');
  });

  it('a changed encrypted state file is refused by a conversion, and left as it is', async () => {
    const { file } = await world();
    const k1 = generateKey();
    await convertStateFile(file, { key: k1, manifest: newManifest(k1, 'key') }, undefined);
    const b = fs.readFileSync(file);
    b[b.length - 20] ^= 1;
    fs.writeFileSync(file, b);
    await assert.rejects(convertStateFile(file, undefined, keyed(k1)), (e: Error) => e.message.startsWith(file) && /cannot be decrypted.*left as it is/.test(e.message));
    assert.ok(fs.readFileSync(file).equals(b));
  });

  it('the CLI: state set / get on an encrypted store with SKILLMEAT_SYNC_KEY, a clear error without it', async () => {
    const home = tmp('home');
    const project = tmp('project');
    const key = generateKey();
    await convertStore(path.join(home, 'sync'), { key, manifest: newManifest(key, 'key') });
    const run = async (env: NodeJS.ProcessEnv, ...args: string[]) => {
      const io = captureIO({ env: { SKILLMEAT_HOME: home, ...env }, cwd: project });
      const code = await main(args, io);
      return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
    };
    assert.equal((await run({ SKILLMEAT_SYNC_KEY: key }, 'state', 'set', 'memory:x', 'private')).code, 0);
    const db = fs.readdirSync(path.join(home, 'sync', 'workspaces')).map((d) => path.join(home, 'sync', 'workspaces', d, 'state.db'))[0];
    assert.ok(fs.readFileSync(db).toString('utf8').startsWith(STATE_MAGIC));
    assert.equal((await run({ SKILLMEAT_SYNC_KEY: key }, 'state', 'get', 'memory:x')).out, 'private');
    const locked = await run({}, 'state', 'get', 'memory:x');
    assert.equal(locked.code, 2);
    assert.match(locked.err, /state database is encrypted/);
  });
});
