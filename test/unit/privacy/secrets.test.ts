// The secret scan before anything enters a collection (SPEC §8): secretlint's maintained rules find tokens, private
// keys and .env files (never echoing the value); a pull that would carry one writes nothing unless allowed.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanForSecrets } from '../../../src/core/privacy/secrets';
import { useTempDirs, addSkill, captureIO } from '../helpers';
import { makeSyncWorld, deploy, pull, update, check, contentSnapshot } from '../sync/syncWorld';
import { main } from '../../../src/cli/main';

// A token of GitHub's shape, made up here (not a real credential).
const TOKEN = `ghp_${'wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx'}`;

describe('privacy: secret scan', () => {
  const tmp = useTempDirs();

  it('finds a token, a private key and a .env file by their rules, without the value; clean text has none', async () => {
    const pem = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const found = await scanForSecrets([
      { path: '/s/notes.md', data: Buffer.from(`# Notes\nuse ${TOKEN} here\n`) },
      { path: '/s/key.pem', data: Buffer.from(pem) },
      { path: '/s/.env', data: Buffer.from('A=1\n') },
      { path: '/s/SKILL.md', data: Buffer.from('---\nname: x\n---\nNothing secret: ghp_ is a prefix.\n') },
      { path: '/s/logo.png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]) },
    ]);
    assert.deepEqual(found.map((f) => [f.file, f.line, f.kind]), [['/s/.env', 1, 'FOUND_DOTENV_FILE'], ['/s/key.pem', 1, 'PrivateKey'], ['/s/notes.md', 2, 'GITHUB_TOKEN']]);
    for (const f of found) assert.ok(!f.message.includes(TOKEN) && !f.message.includes('MII'), f.message);
  });

  it('a pull carrying a token writes nothing and names the finding; allowed, it writes; an update is not scanned', async () => {
    const w = await makeSyncWorld(tmp);
    try {
      addSkill(w.collection, 'review', { 'notes.md': 'one\n' });
      await deploy(w, 'skill', 'review');
      fs.appendFileSync(path.join(w.claude, 'skills', 'review', 'notes.md'), `token ${TOKEN}\n`);
      const before = contentSnapshot(w.collection);
      const r = await pull(w, 'overwrite', ['review']);
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'secrets-found');
      assert.deepEqual(r.secretFindings?.map((f) => [path.relative(w.collection, f.file), f.line, f.kind]), [[path.join('skills', 'review', 'notes.md'), 2, 'GITHUB_TOKEN']]);
      assert.match(r.error!.message, /Nothing was written/);
      assert.deepEqual(contentSnapshot(w.collection), before);
      assert.equal(check(w).artifacts.find((a) => a.name === 'review')?.state, 'modified');
      const dry = await pull(w, 'overwrite', ['review'], { dryRun: true });
      assert.equal(dry.status, 'dry-run');
      assert.equal(dry.artifacts[0].secretFindings?.length, 1, 'a dry run reports what the real run would refuse');
      const allowed = await pull(w, 'overwrite', ['review'], { allowSecrets: true });
      assert.equal(allowed.status, 'success');
      assert.match(fs.readFileSync(path.join(w.collection, 'skills', 'review', 'notes.md'), 'utf8'), /token ghp_/);
      // The project is the user's own: writing into it is not sharing.
      fs.appendFileSync(path.join(w.collection, 'skills', 'review', 'notes.md'), `another ${TOKEN}\n`);
      assert.equal((await update(w, 'overwrite', ['review'])).status, 'success');
    } finally { w.store.close(); }
  });

  it('CLI: pull exits 1 listing file:line:column and kind, never the value; --allow-secrets writes', async () => {
    const w = await makeSyncWorld(tmp);
    w.store.close();
    addSkill(w.collection, 'review', { 'notes.md': 'one\n' });
    const run = async (...argv: string[]) => { const io = captureIO({ env: w.env, cwd: w.project }); const code = await main([...argv, '--project', w.project], io); return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') }; };
    assert.equal((await run('deploy', 'review')).code, 0);
    fs.appendFileSync(path.join(w.claude, 'skills', 'review', 'notes.md'), `token ${TOKEN}\n`);
    const r = await run('pull', 'review', '--strategy', 'overwrite');
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, new RegExp(`notes\\.md:2:7 GITHUB_TOKEN \\(github\\)`));
    assert.ok(!r.err.includes(TOKEN) && !r.out.includes(TOKEN));
    assert.match(r.err, /pass --allow-secrets/);
    assert.equal((await run('pull', 'review', '--strategy', 'overwrite', '--allow-secrets')).code, 0);
  });
});
