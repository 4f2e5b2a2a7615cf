// `skillmeat-sync init`: a collection to deploy from and a config.toml naming it, created only where missing.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { readHomeConfig } from '../../../src/core/store/skillmeatHome';
import { useTempDirs, addSkill, captureIO, snapshotDir } from '../helpers';

describe('cli init', () => {
  const tmp = useTempDirs();
  let home: string;
  let project: string;
  beforeEach(() => {
    const base = tmp('init');
    home = path.join(base, 'home');
    project = path.join(base, 'project');
    fs.mkdirSync(project);
  });

  const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const io = captureIO({ env: { SKILLMEAT_HOME: home }, cwd: project });
    const code = await main(['init', ...args], io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  it('creates the default collection and a config.toml that makes it the default, in an empty home', async () => {
    const r = await run();
    assert.equal(r.code, 0, r.err);
    const collection = path.join(home, 'collections', 'default');
    for (const d of ['skills', 'commands', 'agents']) assert.ok(fs.statSync(path.join(collection, d)).isDirectory(), `${d}/ created`);
    assert.match(fs.readFileSync(path.join(collection, 'collection.toml'), 'utf8'), /^\[collection\]\nname = "default"\n/);
    assert.deepEqual(readHomeConfig(home), { defaultCollection: 'default' });
    assert.match(r.out, /Created the collection .*collections[/\\]default/);
    assert.match(r.out, /default-collection = "default"/);
  });

  it('is idempotent: a second run changes nothing and says so', async () => {
    await run();
    const before = snapshotDir(home);
    const r = await run();
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(snapshotDir(home), before);
    assert.match(r.out, /Nothing to do/);
  });

  it('uses an existing collection (SkillMeat\'s) as it is, never touching its files', async () => {
    const collection = path.join(home, 'collections', 'default');
    fs.mkdirSync(collection, { recursive: true });
    addSkill(collection, 'review');
    fs.writeFileSync(path.join(collection, 'collection.toml'), '[collection]\nname = "default"\nversion = "3.1.0"\n');
    const before = snapshotDir(collection);
    const r = await run();
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(snapshotDir(collection), before, 'the collection is byte for byte as it was');
    assert.match(r.out, /Using the existing collection/);
    assert.ok(fs.existsSync(path.join(home, 'config.toml')), 'the missing config.toml is created');
  });

  it('never rewrites an existing config.toml, and without NAME takes the collection it names', async () => {
    fs.mkdirSync(home, { recursive: true });
    const config = '# mine\n[settings]\ndefault-collection = "work"\n';
    fs.writeFileSync(path.join(home, 'config.toml'), config);
    const r = await run('--json');
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as { name: string; collection: string; otherDefault?: string };
    assert.equal(doc.name, 'work');
    assert.equal(doc.otherDefault, undefined);
    assert.ok(fs.statSync(path.join(home, 'collections', 'work', 'skills')).isDirectory());
    assert.equal(fs.readFileSync(path.join(home, 'config.toml'), 'utf8'), config);
  });

  it('creates a named collection beside the default one and says config.toml still names the other', async () => {
    await run();
    const config = fs.readFileSync(path.join(home, 'config.toml'), 'utf8');
    const r = await run('team');
    assert.equal(r.code, 0, r.err);
    assert.ok(fs.existsSync(path.join(home, 'collections', 'team', 'collection.toml')));
    assert.equal(fs.readFileSync(path.join(home, 'config.toml'), 'utf8'), config);
    assert.match(r.out, /makes "default" the default collection and was left as it is: set default-collection = "team"/);
  });

  it('refuses a name that is not one folder, with exit 2 and nothing created', async () => {
    for (const bad of ['..', 'a/b']) {
      const r = await run(bad);
      assert.equal(r.code, 2, `${bad}: ${r.out}`);
      assert.match(r.err, /is not a collection name/);
    }
    assert.equal(fs.existsSync(home), false);
  });

  it('refuses a file where the collection folder should be, naming it', async () => {
    fs.mkdirSync(path.join(home, 'collections'), { recursive: true });
    fs.writeFileSync(path.join(home, 'collections', 'default'), 'not a folder');
    const r = await run();
    assert.equal(r.code, 2);
    assert.match(r.err, /collections[/\\]default exists and is not a folder/);
  });
});
