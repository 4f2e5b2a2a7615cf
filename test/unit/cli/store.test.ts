// `skillmeat-sync store status|encrypt|decrypt|rotate-key` and the key every other command needs for an encrypted
// version store (--key-file, SKILLMEAT_SYNC_KEY, SKILLMEAT_SYNC_PASSPHRASE). Real files, real sql.js, the CLI's main().
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { readManifest } from '../../../src/core/store/storeEncryption';
import { useTempDirs, makeWorld, addSkill, edit, captureIO, type World } from '../helpers';

describe('cli store encryption', () => {
  const tmp = useTempDirs();
  let w: World;
  beforeEach(() => { w = makeWorld(tmp); });
  const storeDir = () => path.join(w.home, 'sync');

  const run = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> => {
    const io = captureIO({ env: { ...w.env, ...env }, cwd: w.project });
    const code = await main(args, io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  /** A skill deployed, edited and captured: two versions in the store. */
  const twoVersions = async () => {
    addSkill(w.collection, 'review');
    assert.equal((await run(['deploy', 'review'])).code, 0);
    edit(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'my private edit');
    assert.equal((await run(['capture', 'review'])).code, 0);
  };

  it('encrypts with a new key file; other commands then need the key; rotate and decrypt keep every version', async () => {
    await twoVersions();
    const before = (await run(['history', 'review', '--json'])).out;
    assert.match(before, /my private edit|"id"/);
    const keyFile = path.join(tmp('keys'), 'store.key');
    const enc = await run(['store', 'encrypt', '--new-key', keyFile]);
    assert.equal(enc.code, 0, enc.err);
    assert.match(enc.out, /encrypted the version store .*: \d+ version\(s\).*now encrypted \(Fernet, key [0-9a-f]{16}, from a key you hold\)/);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.match((await run(['store', 'status'])).out, /encrypted \(Fernet/);

    const locked = await run(['history', 'review']);
    assert.equal(locked.code, 2);
    assert.match(locked.err, /encryption\.json: .*--key-file FILE or SKILLMEAT_SYNC_KEY/);
    assert.equal((await run(['history', 'review', '--json', '--key-file', keyFile])).out, before);

    const newKey = path.join(tmp('keys'), 'new.key');
    const rot = await run(['store', 'rotate-key', '--key-file', keyFile, '--new-key', newKey]);
    assert.equal(rot.code, 0, rot.err);
    const wrong = await run(['history', 'review', '--key-file', keyFile]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /wrong key/);
    assert.equal((await run(['history', 'review', '--json', '--key-file', newKey])).out, before);

    const dec = await run(['store', 'decrypt', '--key-file', newKey]);
    assert.equal(dec.code, 0, dec.err);
    assert.equal(readManifest(storeDir()), undefined);
    assert.equal((await run(['history', 'review', '--json'])).out, before);
  });

  it('a passphrase from the environment; a changed blob stops a rotation with nothing overwritten', async () => {
    await twoVersions();
    const env = { SKILLMEAT_SYNC_PASSPHRASE: 'a long pass phrase' };
    const enc = await run(['store', 'encrypt', '--json'], env);
    assert.equal(enc.code, 0, enc.err);
    const m = readManifest(storeDir())!;
    assert.equal(m.source, 'passphrase');
    assert.equal(JSON.parse(enc.out).to, m.keyId);
    // check reads the encrypted store with the passphrase (modified: exit 1), and without it says it could not.
    const chk = await run(['check'], env);
    assert.equal(chk.code, 1, chk.err);
    assert.doesNotMatch(chk.err, /checked without it/);
    assert.match((await run(['check'])).err, /encryption\.json: a passphrase is needed.*drift is checked without it/);
    // A capture after encryption goes into the encrypted log.
    edit(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'another edit');
    assert.equal((await run(['capture', 'review'], env)).code, 0);

    const blobs = path.join(storeDir(), `blobs.${m.keyId}`);
    const first = fs.readdirSync(blobs)[0];
    const victim = path.join(blobs, first, fs.readdirSync(path.join(blobs, first))[0]);
    fs.chmodSync(victim, 0o644);
    fs.appendFileSync(victim, 'x');
    const rot = await run(['store', 'rotate-key'], { ...env, SKILLMEAT_SYNC_NEW_PASSPHRASE: 'another one' });
    assert.equal(rot.code, 2);
    assert.match(rot.err, new RegExp(`${victim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot be decrypted.*nothing was overwritten`));
    assert.equal(readManifest(storeDir())!.keyId, m.keyId, 'still the old key');
  });

  it('refuses a key file others can read, and a second encryption', async () => {
    await twoVersions();
    const keyFile = path.join(tmp('keys'), 'open.key');
    fs.writeFileSync(keyFile, 'x'.repeat(43) + '=\n', { mode: 0o644 });
    fs.chmodSync(keyFile, 0o644);
    const r = await run(['store', 'encrypt', '--key-file', keyFile]);
    assert.equal(r.code, 2);
    assert.match(r.err, /can be read by others .*chmod 600/);
    assert.equal(readManifest(storeDir()), undefined);
    const k = path.join(tmp('keys'), 'k');
    assert.equal((await run(['store', 'encrypt', '--new-key', k])).code, 0);
    const again = await run(['store', 'encrypt', '--new-key', path.join(tmp('keys'), 'k2')]);
    assert.equal(again.code, 2);
    assert.match(again.err, /already encrypted; use "skillmeat-sync store rotate-key"/);
  });
});
