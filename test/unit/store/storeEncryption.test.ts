// Encryption at rest of the version store (issue 14): encrypt / decrypt / rotate convert the store without losing a
// version; the files on disk are Fernet tokens; a wrong or missing key and tampered data are clear errors with
// nothing overwritten; a conversion interrupted between its steps leaves the old or the new store, both readable.
// Real files in temp dirs, real sql.js; the passphrase tests use a cheap scrypt cost (N = 2^10) except one.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { convertStore, StoreError, VersionStore } from '../../../src/core/store/versionStore';
import { keyId, MANIFEST_FILE, newManifest, readManifest, type StoreKeyProvider } from '../../../src/core/store/storeEncryption';
import { cliStoreKeys, storeTarget } from '../../../src/core/store/storeKeys';
import { generateKey, Fernet } from '../../../src/core/privacy/fernet';
import { deriveKey, type KdfParams } from '../../../src/core/privacy/keys';
import { useTempDirs } from '../helpers';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0');
const TSX = require.resolve('tsx/cjs');
const STORE = path.resolve(__dirname, '../../../src/core/store/versionStore.ts');
const ENCRYPTION = path.resolve(__dirname, '../../../src/core/store/storeEncryption.ts');

/** Runs `script` in a new node (with tsx); resolves with how it ended and its stderr. */
function runNode(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', TSX, '-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}
const KEY = 'review';

/** Every file below `dir` with its SHA-256, lock files aside. */
function filesOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.endsWith('.lock')) out.set(path.relative(dir, p), crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

const keyed = (key: string): StoreKeyProvider => async () => key;

/** A store with `n` versions of a 12-file skill, each version with content of its own; returns what each holds. */
async function fillStore(dir: string, n: number, keys?: StoreKeyProvider): Promise<Map<number, Map<string, Buffer>>> {
  const s = await VersionStore.open(dir, { keys });
  const made = new Map<number, Map<string, Buffer>>();
  try {
    for (let v = 0; v < n; v++) {
      const files = new Map<string, Buffer>();
      for (let f = 0; f < 12; f++) files.set(`part-${f}.md`, Buffer.from(`secret plan ${v}/${f}\n${'x'.repeat(f * 37)}\n`));
      files.set('bin.dat', crypto.randomBytes(300));
      await s.transact((st) => {
        const tree = st.putContent('dir', [...files].map(([rel, data]) => ({ rel, data })));
        made.set(st.addVersion({ artifactKey: KEY, treeHash: tree.treeHash, origin: 'edit', note: `note ${v}` }), files);
      });
    }
  } finally { s.close(); }
  return made;
}

/** Opens the store and checks every version reads back byte for byte. */
async function assertAllVersions(dir: string, made: Map<number, Map<string, Buffer>>, keys?: StoreKeyProvider): Promise<void> {
  const s = await VersionStore.open(dir, { keys });
  try {
    const history = s.history(KEY);
    assert.deepEqual(history.map((h) => h.id).sort((a, b) => a - b), [...made.keys()].sort((a, b) => a - b));
    for (const h of history) {
      const want = made.get(h.id)!;
      for (const [rel, data] of want) assert.ok(s.readFile(h.treeHash, rel)?.equals(data), `version ${h.id} ${rel}`);
    }
  } finally { s.close(); }
}

describe('version store encryption at rest', () => {
  const tmp = useTempDirs();
  /** A store with `n` versions, then encrypted with a new key. */
  const encryptedStore = async (n: number) => {
    const dir = path.join(tmp(), 'sync');
    const made = await fillStore(dir, n);
    const key = generateKey();
    await convertStore(dir, { key, manifest: newManifest(key, 'key') });
    return { dir, made, key };
  };
  const cheapKdf = (): KdfParams => ({ name: 'scrypt', salt: crypto.randomBytes(16).toString('base64'), N: 1024, r: 8, p: 1 });

  it('encrypts every version and decrypts it back byte for byte, leaving no plain file behind', async () => {
    const dir = path.join(tmp(), 'sync');
    const made = await fillStore(dir, 6);
    const key = generateKey();
    const enc = await convertStore(dir, { key, manifest: newManifest(key, 'key') });
    assert.equal(enc.versions, 6);
    assert.ok(enc.blobs >= 6 * 13, `${enc.blobs} blobs`);
    // On disk: a manifest without the key, Fernet tokens everywhere else.
    const m = readManifest(dir)!;
    assert.equal(m.keyId, keyId(key));
    assert.ok(!fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8').includes(key), 'the manifest never holds the key');
    assert.ok(!fs.existsSync(path.join(dir, 'index.sqlite')) && !fs.existsSync(path.join(dir, 'blobs')), 'plain files removed');
    const files = [...filesOf(dir).keys()].filter((f) => f !== MANIFEST_FILE);
    assert.ok(files.length > 6 * 13);
    for (const f of files) {
      const bytes = fs.readFileSync(path.join(dir, f));
      assert.ok(!bytes.subarray(0, 16).equals(SQLITE_MAGIC), `${f} is not SQLite`);
      assert.ok(!bytes.includes('secret plan'), `${f} holds no plain content`);
      if (!f.endsWith('.log')) assert.doesNotThrow(() => new Fernet(key).decrypt(bytes.toString('ascii')), `${f} is one Fernet token`);
    }
    await assertAllVersions(dir, made, keyed(key));
    // Python's Fernet reads the index too (same format): here, our Fernet with the key alone gives SQLite.
    assert.ok(new Fernet(key).decrypt(fs.readFileSync(path.join(dir, `index.${m.keyId}.sqlite`), 'ascii')).subarray(0, 16).equals(SQLITE_MAGIC));

    const dec = await convertStore(dir, undefined, { keys: keyed(key) });
    assert.equal(dec.versions, 6);
    assert.equal(readManifest(dir), undefined);
    assert.ok(fs.readFileSync(path.join(dir, 'index.sqlite')).subarray(0, 16).equals(SQLITE_MAGIC));
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes(m.keyId)), [], 'encrypted files removed');
    await assertAllVersions(dir, made);
  });

  it('keeps working encrypted: new versions go to the log as tokens and survive a reopen', async () => {
    const { dir, made, key } = await encryptedStore(2);
    for (const [id, files] of await fillStore(dir, 3, keyed(key))) made.set(id, files);
    const log = fs.readFileSync(path.join(dir, `index.${keyId(key)}.log`), 'utf8').split('\n').filter(Boolean);
    assert.equal(log.length, 4, 'a generation header and three transactions');
    for (const line of log.slice(1)) assert.ok(!line.includes('INSERT') && new Fernet(key).decrypt(line).includes('INSERT'), 'each transaction is a token');
    await assertAllVersions(dir, made, keyed(key));
  });

  it('refuses a wrong key and a missing key, writing nothing', async () => {
    const { dir } = await encryptedStore(2);
    const before = filesOf(dir);
    await assert.rejects(VersionStore.open(dir, { keys: keyed(generateKey()) }), (e: Error) => e instanceof StoreError && /wrong key/.test(e.message) && e.message.includes(MANIFEST_FILE));
    await assert.rejects(VersionStore.open(dir), (e: Error) => e instanceof StoreError && /encrypted .* no key was given.*--key-file/.test(e.message));
    await assert.rejects(convertStore(dir, undefined, { keys: keyed(generateKey()) }), /wrong key/);
    await assert.rejects(convertStore(dir, undefined), /no key was given/);
    const other = generateKey();
    await assert.rejects(convertStore(dir, { key: other, manifest: newManifest(other, 'key') }), /no key was given/);
    assert.deepEqual(filesOf(dir), before);
  });

  it('reports a tampered blob, index or log line, and a conversion stops before overwriting anything', async () => {
    const { dir, key } = await encryptedStore(3);
    const id = keyId(key);
    const flip = (file: string, at: number) => { const b = fs.readFileSync(file); b[at] = b[at] === 0x41 ? 0x42 : 0x41; fs.chmodSync(file, 0o644); fs.writeFileSync(file, b); };

    // A blob: reading that version fails, naming the file; a conversion stops at it.
    const s = await VersionStore.open(dir, { keys: keyed(key) });
    const v = s.history(KEY)[0];
    const blob = s.getTree(v.treeHash)!.files[0].blob;
    const blobFile = path.join(dir, `blobs.${id}`, blob.slice(0, 2), blob.slice(2));
    flip(blobFile, 60);
    assert.throws(() => s.readFile(v.treeHash, s.getTree(v.treeHash)!.files[0].rel), (e: Error) => e instanceof StoreError && e.message.startsWith(blobFile) && /cannot be decrypted.*another key, or changed/.test(e.message));
    s.close();
    let before = filesOf(dir);
    const k2 = generateKey();
    await assert.rejects(convertStore(dir, { key: k2, manifest: newManifest(k2, 'key') }, { keys: keyed(key) }), (e: Error) => e.message.startsWith(blobFile) && /nothing was overwritten/.test(e.message));
    assert.equal(readManifest(dir)!.keyId, id, 'still the old key');
    for (const [f, h] of before) assert.equal(filesOf(dir).get(f), h, `${f} unchanged`);

    // The index: refused at open, nothing written.
    const index = path.join(dir, `index.${id}.sqlite`);
    flip(index, 100);
    before = filesOf(dir);
    await assert.rejects(VersionStore.open(dir, { keys: keyed(key) }), (e: Error) => e.message.startsWith(index) && /cannot be decrypted.*Nothing was overwritten/.test(e.message));
    assert.deepEqual(filesOf(dir), before);
  });

  it('reports a tampered log line', async () => {
    const dir = path.join(tmp(), 'sync');
    const key = generateKey();
    await convertStore(dir, { key, manifest: newManifest(key, 'key') });
    await fillStore(dir, 2, keyed(key));
    const log = path.join(dir, `index.${keyId(key)}.log`);
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    lines[1] = lines[1].slice(0, 50) + (lines[1][50] === 'A' ? 'B' : 'A') + lines[1].slice(51);
    fs.writeFileSync(log, lines.join('\n'));
    await assert.rejects(VersionStore.open(dir, { keys: keyed(key) }), (e: Error) => e.message.startsWith(log) && /cannot be decrypted/.test(e.message));
  });

  for (const point of ['staged', 'committed'] as const) {
    it(`a rotation interrupted ${point === 'staged' ? 'before' : 'after'} its commit leaves the ${point === 'staged' ? 'old' : 'new'} key's store, whole; the next rotation cleans up`, async () => {
      const dir = path.join(tmp(), 'sync');
      const made = await fillStore(dir, 4);
      const oldKey = generateKey();
      await convertStore(dir, { key: oldKey, manifest: newManifest(oldKey, 'key') });
      const newKey = generateKey();
      await assert.rejects(convertStore(dir, { key: newKey, manifest: newManifest(newKey, 'key') }, {
        keys: keyed(oldKey), step: (s) => { if (s === point) throw new Error('killed'); },
      }), /killed/);
      const [good, bad] = point === 'staged' ? [oldKey, newKey] : [newKey, oldKey];
      assert.equal(readManifest(dir)!.keyId, keyId(good));
      await assertAllVersions(dir, made, keyed(good));
      await assert.rejects(VersionStore.open(dir, { keys: keyed(bad) }), /wrong key/);
      // Both key's files are on disk now; the next conversion removes the uncommitted side first.
      assert.ok(fs.readdirSync(dir).some((n) => n.includes(keyId(bad))), 'the other side is still there');
      const third = generateKey();
      const r = await convertStore(dir, { key: third, manifest: newManifest(third, 'key') }, { keys: keyed(good) });
      assert.ok(r.leftovers >= 1);
      assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes(keyId(bad)) || n.includes(keyId(good))), []);
      await assertAllVersions(dir, made, keyed(third));
    });
  }

  it('a rotation killed (SIGKILL) at any of its write points leaves the old or the new key\'s store, whole', async function () {
    this.timeout(300_000);
    // One version of 13 files: every write point of the conversion, each in a process of its own.
    const template = path.join(tmp(), 'sync');
    const made = await fillStore(template, 1);
    const oldKey = generateKey();
    await convertStore(template, { key: oldKey, manifest: newManifest(oldKey, 'key') });
    const newKey = generateKey();
    const script = (dir: string) => `
      const { convertStore } = require(${JSON.stringify(STORE)});
      const { newManifest } = require(${JSON.stringify(ENCRYPTION)});
      convertStore(${JSON.stringify(dir)}, { key: process.env.NEW_KEY, manifest: newManifest(process.env.NEW_KEY, 'key') }, { keys: async () => process.env.OLD_KEY })
        .then(() => process.exit(0), (e) => { console.error(e); process.exit(3); });`;
    const env = { OLD_KEY: oldKey, NEW_KEY: newKey };
    const probe = path.join(tmp(), 'sync');
    fs.cpSync(template, probe, { recursive: true });
    const counted = await runNode(script(probe), { ...env, SKILLMEAT_SYNC_CRASH_AT: 'count' });
    const points = Number(/write points: (\d+)/.exec(counted.stderr)?.[1]);
    assert.ok(points >= 13 + 5, `${points} write points (${counted.stderr})`);
    const outcomes: string[] = [];
    for (let at = 1; at <= points; at++) {
      const dir = path.join(tmp(), 'sync');
      fs.cpSync(template, dir, { recursive: true });
      const r = await runNode(script(dir), { ...env, SKILLMEAT_SYNC_CRASH_AT: String(at) });
      assert.equal(r.signal, 'SIGKILL', `point ${at}: ${r.stderr}`);
      const id = readManifest(dir)!.keyId;
      assert.ok(id === keyId(oldKey) || id === keyId(newKey), `point ${at}: key ${id}`);
      const key = id === keyId(oldKey) ? oldKey : newKey;
      await assertAllVersions(dir, made, keyed(key));
      outcomes.push(key === oldKey ? 'old' : 'new');
      // The next conversion finishes the job from there: leftovers removed, still every version.
      const third = generateKey();
      await convertStore(dir, { key: third, manifest: newManifest(third, 'key') }, { keys: keyed(key) });
      assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes(keyId(oldKey)) || n.includes(keyId(newKey))), [], `point ${at}: leftovers`);
      await assertAllVersions(dir, made, keyed(third));
    }
    assert.ok(outcomes.includes('old') && outcomes.includes('new'), outcomes.join(' '));
  });

  it('a conversion whose condition no longer holds under the lock (another window converted first) changes nothing', async () => {
    const { dir, key } = await encryptedStore(1);
    const before = filesOf(dir);
    const other = generateKey();
    const r = await convertStore(dir, { key: other, manifest: newManifest(other, 'key') }, { keys: keyed(key), when: (cur) => cur?.source !== 'key' });
    assert.equal(r.skipped, true);
    assert.deepEqual(filesOf(dir), before);
  });

  it('another open instance follows a rotation made elsewhere on its next transaction', async () => {
    const dir = path.join(tmp(), 'sync');
    const made = await fillStore(dir, 2);
    const k1 = generateKey();
    const k2 = generateKey();
    await convertStore(dir, { key: k1, manifest: newManifest(k1, 'key') });
    const both: StoreKeyProvider = async (m) => (m.keyId === keyId(k1) ? k1 : k2);
    const other = await VersionStore.open(dir, { keys: both });
    await convertStore(dir, { key: k2, manifest: newManifest(k2, 'key') }, { keys: both });
    const id = await other.transact((st) => st.addVersion({ artifactKey: KEY, treeHash: st.history(KEY)[0].treeHash, origin: 'edit' }));
    made.set(id, made.get([...made.keys()][1])!);
    other.close();
    assert.equal(readManifest(dir)!.keyId, keyId(k2));
    await assertAllVersions(dir, made, keyed(k2));
  });

  it('passphrase mode: the salt and scrypt parameters are in the manifest; a wrong passphrase is named', async () => {
    const dir = path.join(tmp(), 'sync');
    const made = await fillStore(dir, 2);
    const env = { SKILLMEAT_SYNC_PASSPHRASE: 'correct horse battery staple' };
    const target = await storeTarget({ mode: 'passphrase', env, kdf: cheapKdf() });
    await convertStore(dir, target);
    const m = readManifest(dir)!;
    assert.equal(m.source, 'passphrase');
    assert.equal(m.kdf?.N, 1024);
    assert.equal(m.keyId, keyId(deriveKey(env.SKILLMEAT_SYNC_PASSPHRASE, m.kdf!)));
    assert.ok(!fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8').includes('horse'));
    await assertAllVersions(dir, made, cliStoreKeys({ env }));
    await assert.rejects(VersionStore.open(dir, { keys: cliStoreKeys({ env: { SKILLMEAT_SYNC_PASSPHRASE: 'wrong' } }) }), /wrong passphrase\?/);
    await assert.rejects(VersionStore.open(dir, { keys: cliStoreKeys({ env: {} }) }), /a passphrase is needed/);
    // Rotating a passphrase store: a new salt, so a new key even for the same passphrase.
    const again = await storeTarget({ mode: 'passphrase', env, kdf: cheapKdf() });
    await convertStore(dir, again, { keys: cliStoreKeys({ env }) });
    assert.notEqual(readManifest(dir)!.keyId, m.keyId);
    await assertAllVersions(dir, made, cliStoreKeys({ env }));
  });

  it('passphrase mode with the default scrypt cost (N = 2^17)', async () => {
    const dir = path.join(tmp(), 'sync');
    const env = { SKILLMEAT_SYNC_PASSPHRASE: 'pass phrase' };
    const made = await fillStore(dir, 1);
    await convertStore(dir, await storeTarget({ mode: 'passphrase', env }));
    assert.equal(readManifest(dir)!.kdf?.N, 2 ** 17);
    await assertAllVersions(dir, made, cliStoreKeys({ env }));
  });

  it('a key file the group or others can read is refused', async () => {
    const dir = tmp();
    const file = path.join(dir, 'store.key');
    fs.writeFileSync(file, generateKey() + '\n', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    await assert.rejects(storeTarget({ mode: 'key', env: {}, keyFile: file }), /can be read by others.*chmod 600/);
  });
});
