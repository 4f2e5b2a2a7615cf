// Keys the user holds (scrypt passphrases, private key files) and encrypted backups of the state: round trips,
// tampering, wrong keys, the import strategies as a sync per entry, and the CLI's state export / import.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateKey } from '../../../src/core/privacy/fernet';
import { KeyError, deriveKey, newKdfParams, readKeyFile, resolveKey } from '../../../src/core/privacy/keys';
import { BackupError, answerConflict, decodeBackup, encodeBackup, importCounts, importWrites, mergeJson, planImport, type BackupEntry, type EntryChoice } from '../../../src/core/privacy/backup';
import { main } from '../../../src/cli/main';
import { useTempDirs, captureIO } from '../helpers';

const e = (key: string, value: unknown, updatedAt: string): BackupEntry => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value), updatedAt });
const T1 = '2026-11-01T10:00:00.000Z';
const T2 = '2026-11-02T10:00:00.000Z';

describe('privacy: keys and encrypted backups', () => {
  const tmp = useTempDirs();

  describe('keys', () => {
    it('a passphrase gives the same key with the same salt and another with another salt; the parameters are checked', () => {
      const p = newKdfParams();
      assert.equal(deriveKey('correct horse', p), deriveKey('correct horse', p));
      assert.notEqual(deriveKey('correct horse', p), deriveKey('correct horse', newKdfParams()));
      assert.notEqual(deriveKey('correct horse', p), deriveKey('Correct horse', p));
      assert.throws(() => deriveKey('x', { ...p, N: 2 ** 30 }), KeyError, 'a crafted header cannot ask for gigabytes');
      assert.throws(() => deriveKey('', p), KeyError);
    });

    it('a key file others can read is refused, naming the fix; a private one is read', () => {
      const f = path.join(tmp(), 'key');
      fs.writeFileSync(f, `${generateKey()}\n`, { mode: 0o644 });
      fs.chmodSync(f, 0o644);
      assert.throws(() => readKeyFile(f), (err: Error) => err instanceof KeyError && err.message.includes(`chmod 600 ${f}`));
      fs.chmodSync(f, 0o600);
      assert.equal(readKeyFile(f).length, 44);
      fs.writeFileSync(f, 'not a key');
      assert.throws(() => readKeyFile(f), /not a key/);
    });

    it('takes the key file, then SKILLMEAT_SYNC_KEY, then the passphrase; says what is missing', async () => {
      const kdf = newKdfParams();
      const key = generateKey();
      assert.equal(await resolveKey({ env: { SKILLMEAT_SYNC_KEY: key } }, kdf), key);
      assert.equal(await resolveKey({ env: { SKILLMEAT_SYNC_PASSPHRASE: 'pw' } }, kdf), deriveKey('pw', kdf));
      await assert.rejects(resolveKey({ env: {} }, kdf), /a passphrase is needed/);
      await assert.rejects(resolveKey({ env: { SKILLMEAT_SYNC_PASSPHRASE: 'pw' } }, undefined), /encrypted with a key, not a passphrase/);
    });
  });

  describe('backup file', () => {
    const entries = [e('a', { x: 1 }, T1), e('b', 'plain text', T2)];

    it('round-trips with a key and with a passphrase; holds nothing readable in clear', () => {
      const key = generateKey();
      const text = encodeBackup(entries, key);
      assert.deepEqual(decodeBackup(text, 'f', key).entries, entries);
      assert.ok(!text.includes('plain text'));
      const kdf = newKdfParams();
      const byPass = encodeBackup(entries, deriveKey('pw', kdf), { kdf });
      assert.deepEqual(decodeBackup(byPass, 'f', deriveKey('pw', kdf)).entries, entries);
    });

    it('a wrong key, a changed token, a changed header or another file is refused with the file named', () => {
      const key = generateKey();
      const text = encodeBackup(entries, key);
      assert.throws(() => decodeBackup(text, 'backup.smsb', generateKey()), (err: Error) => err instanceof BackupError && /backup\.smsb: wrong key or passphrase/.test(err.message));
      const lines = text.split('\n');
      const token = Buffer.from(lines[2], 'base64url');
      token[40] ^= 1;
      assert.throws(() => decodeBackup([lines[0], lines[1], token.toString('base64url').padEnd(lines[2].length, '='), ''].join('\n'), 'f', key), BackupError);
      assert.throws(() => decodeBackup([lines[0], lines[1].replace('"entries":2', '"entries":2 '), lines[2], ''].join('\n'), 'f', key), /header was changed/);
      assert.throws(() => decodeBackup('hello\n', 'f', key), /not a SkillMeat Sync backup/);
    });

    it('Python\'s cryptography.Fernet reads a backup with the same key (then gunzip and JSON)', function () {
      this.timeout(20_000);
      const key = generateKey();
      const file = path.join(tmp(), 'b.smsb');
      fs.writeFileSync(file, encodeBackup(entries, key));
      const py = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import cryptography.fernet']).status === 0);
      assert.ok(py, 'a python3 with cryptography (scripts/setup-vscode-runtime.sh installs Debian\'s python3-cryptography)');
      const script = 'import sys, gzip, json\nfrom cryptography.fernet import Fernet\nt = open(sys.argv[2]).read().split("\\n")[2]\nd = json.loads(gzip.decompress(Fernet(sys.argv[1].encode()).decrypt(t.encode())))\nprint(json.dumps([x["key"] for x in d["entries"]]))';
      const r = spawnSync(py, ['-c', script, key, file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), ['a', 'b']);
    });
  });

  describe('import strategies (a sync per entry)', () => {
    const local = [e('same', 1, T1), e('onlyHere', 1, T1), e('diff', { v: 'local', priority: 1 }, T2), e('obj', { a: 1, deep: { x: 1, y: 2 } }, T1), e('clash', { a: 1, deep: { x: 1 } }, T1)];
    const backup = [e('same', 1, T2), e('onlyThere', 2, T1), e('diff', { v: 'backup', priority: 5 }, T1), e('obj', { b: 2, deep: { y: 2, z: 3 } }, T2), e('clash', { a: 2, deep: { x: 1 } }, T2)];
    const actions = (s: Parameters<typeof planImport>[2]) => Object.fromEntries(planImport(local, backup, s).map((x) => [x.key, x.action]));

    it('detects new / same / only-here for every strategy, and never deletes', () => {
      for (const s of ['timestamp', 'priority', 'merge', 'user-choice'] as const) {
        const a = actions(s);
        assert.equal(a.same, 'same', s);
        assert.equal(a.onlyThere, 'new', s);
        assert.equal(a.onlyHere, 'kept-local', s);
      }
    });

    it('timestamp: the newer side wins', () => {
      assert.deepEqual([actions('timestamp').diff, actions('timestamp').obj], ['kept-local', 'take-backup']);
    });

    it('priority: the higher "priority" field wins, whatever the time; no priority on either side is a conflict', () => {
      const a = actions('priority');
      assert.equal(a.diff, 'take-backup');
      assert.equal(a.obj, 'conflict');
    });

    it('merge: objects are merged key by key; a scalar that differs on both sides is a conflict for the user, named by path', () => {
      const plan = planImport(local, backup, 'merge');
      const obj = plan.find((x) => x.key === 'obj')!;
      assert.equal(obj.action, 'merged');
      assert.deepEqual(JSON.parse(obj.value!), { a: 1, b: 2, deep: { x: 1, y: 2, z: 3 } });
      const clash = plan.find((x) => x.key === 'clash')!;
      assert.deepEqual([clash.action, clash.conflicts], ['conflict', ['$.a']]);
      assert.deepEqual(mergeJson({ l: [1, 2] }, { l: [1, 3] }).conflicts, ['$.l']);
    });

    it('user-choice: every difference waits for the user', () => {
      const a = actions('user-choice');
      assert.deepEqual([a.diff, a.obj, a.clash], ['conflict', 'conflict', 'conflict']);
    });

    it('user-choice answers: the backup\'s value is written with its time, this store\'s is kept, a skip stays a conflict; nothing else changes', () => {
      const plan = planImport(local, backup, 'user-choice');
      const answers: Record<string, EntryChoice> = { diff: 'backup', obj: 'local', clash: 'skip' };
      const answered = plan.map((x) => (answers[x.key] ? answerConflict(x, answers[x.key]) : x));
      assert.deepEqual(Object.fromEntries(answered.map((x) => [x.key, x.action])), { clash: 'conflict', diff: 'take-backup', obj: 'kept-local', onlyHere: 'kept-local', onlyThere: 'new', same: 'same' });
      assert.deepEqual(importWrites(answered), [
        { key: 'diff', value: JSON.stringify({ v: 'backup', priority: 5 }), updatedAt: T1 },
        { key: 'onlyThere', value: '2', updatedAt: T1 },
      ]);
      assert.deepEqual(importCounts(answered), { written: 2, same: 1, kept: 2, conflicts: 1 });
      // answering a step that is not a conflict changes nothing
      const same = plan.find((x) => x.key === 'same')!;
      assert.equal(answerConflict(same, 'backup'), same);
    });
  });

  describe('CLI: state export / state import', () => {
    it('exports, imports with a dry run that writes nothing, refuses a wrong passphrase, and lists conflicts with exit 1', async () => {
      const dir = tmp();
      const project = path.join(dir, 'p');
      fs.mkdirSync(project);
      const env = { SKILLMEAT_HOME: path.join(dir, 'home'), SKILLMEAT_SYNC_PASSPHRASE: 'pw' };
      const run = async (...argv: string[]) => { const io = captureIO({ env, cwd: dir }); const code = await main([...argv, '--project', project], io); return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') }; };
      assert.equal((await run('state', 'set', 'a', '{"x":1,"n":{"y":1}}')).code, 0);
      assert.equal((await run('state', 'set', 'b', 'kept')).code, 0);
      const exp = await run('state', 'export', 'b.smsb');
      assert.equal(exp.code, 0, exp.err);
      assert.equal(fs.statSync(path.join(dir, 'b.smsb')).mode & 0o777, 0o600);
      assert.equal((await run('state', 'export', 'b.smsb')).code, 2, 'a backup is never overwritten');
      await run('state', 'set', 'a', '{"x":2,"n":{"y":1,"z":2}}');
      await run('state', 'delete', 'b');
      const db = fs.readdirSync(path.join(dir, 'home', 'sync', 'workspaces')).map((w) => path.join(dir, 'home', 'sync', 'workspaces', w, 'state.db'))[0];
      const before = fs.readFileSync(db);
      const dry = await run('state', 'import', 'b.smsb', '--strategy', 'merge', '--dry-run');
      assert.equal(dry.code, 1, dry.err);
      assert.match(dry.out, /^conflict +a: different values at \$\.x$/m);
      assert.match(dry.out, /^would new +b: only in the backup$/m);
      assert.deepEqual(fs.readFileSync(db), before, 'a dry run writes nothing');
      env.SKILLMEAT_SYNC_PASSPHRASE = 'wrong';
      const bad = await run('state', 'import', 'b.smsb');
      assert.equal(bad.code, 2);
      assert.match(bad.err, /wrong key or passphrase, or the file was changed/);
      assert.deepEqual(fs.readFileSync(db), before);
      env.SKILLMEAT_SYNC_PASSPHRASE = 'pw';
      const imp = await run('state', 'import', 'b.smsb', '--strategy', 'timestamp');
      assert.equal(imp.code, 0, imp.err);
      assert.equal((await run('state', 'get', 'b')).out, 'kept');
      assert.equal((await run('state', 'get', 'a')).out, '{"x":2,"n":{"y":1,"z":2}}', 'the newer local value stays');
    });
  });
});
