// SkillMeat's context entities (issue 10), against what the real SkillMeat 0.9.1 wrote when
// scripts/peers/record-skillmeat.sh ran it (test/fixtures/peers/skillmeat/context-entities): the collection copy
// is a row of the `artifacts` table of ~/.skillmeat/cache/cache.db (WAL mode; right after SkillMeat writes, the rows
// are only in the -wal file), the deployed file is the row's content byte for byte, content_hash = sha256 of it.
// The database is rebuilt here from the recorded schema and rows by a live `sqlite3` (so the rows stay in the
// WAL, as recorded); SkillMeat itself is not needed.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkDrift } from '../../../src/core/drift/drift';
import { readContextCollection, contextDbPath } from '../../../src/core/drift/contextEntities';
import { loadSqlJs } from '../../../src/core/store/sqlite';
import { RECORDS_FILE } from '../../../src/core/store/deploymentRecords';
import { runSync } from '../../../src/core/sync';
import { VersionStore } from '../../../src/core/store/versionStore';
import { main } from '../../../src/cli/main';
import { useTempDirs, makeWorld, captureIO, type World } from '../helpers';
import { Sqlite3 } from '../generators/helpers';

const DIR = path.join(__dirname, '..', '..', 'fixtures', 'peers', 'skillmeat', 'context-entities');
interface Row { name: string; type: string; project_id: string; path_pattern: string; content_hash: string; content: string; core_content: string | null }
const rows = (f: string): Row[] => (JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) as { rows: Row[] }).rows;
const sha = (b: Buffer | string): string => crypto.createHash('sha256').update(b).digest('hex');
const sq = (v: string | null): string => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);

/** cache.db as SkillMeat left it: the recorded `artifacts` schema, the recorded rows, held in the WAL. */
async function cacheDb(w: World, recorded: Row[]): Promise<Sqlite3> {
  const db = contextDbPath(w.home);
  fs.mkdirSync(path.dirname(db), { recursive: true });
  const schema = fs.readFileSync(path.join(DIR, 'cache.artifacts.schema.sql'), 'utf8'); // its foreign key is not enforced by default
  const live = new Sqlite3(db);
  await live.exec('PRAGMA journal_mode=WAL;\nPRAGMA wal_autocheckpoint=0;');
  await live.exec(schema);
  for (const [i, r] of recorded.entries()) {
    await live.exec(`INSERT INTO artifacts (id, uuid, project_id, name, type, path_pattern, content_hash, content, core_content, created_at, updated_at) VALUES (${sq(`ctx_${String(i).padStart(12, '0')}`)}, ${sq(String(i).padStart(32, '0'))}, ${sq(r.project_id)}, ${sq(r.name)}, ${sq(r.type)}, ${sq(r.path_pattern)}, ${sq(r.content_hash)}, ${sq(r.content)}, ${sq(r.core_content)}, '2026-01-01 00:00:00', '2026-01-01 00:00:00');`);
  }
  return live;
}

/** The project as SkillMeat's deploy left it (recorded files) plus records of each context entity, a hook and an mcp. */
function project(w: World): string {
  for (const f of fs.readFileSync(path.join(DIR, 'project.files.txt'), 'utf8').trim().split('\n')) {
    fs.mkdirSync(path.dirname(path.join(w.project, f)), { recursive: true });
    fs.copyFileSync(path.join(DIR, 'project', f), path.join(w.project, f));
  }
  const r = rows('cache.artifacts.json');
  const rec = (name: string, type: string, p: string, hash: string) => `[[deployed]]\nartifact_name = "${name}"\nartifact_type = "${type}"\nfrom_collection = "default"\ndeployed_at = "2026-01-01T00:00:00"\nartifact_path = "${p}"\ncontent_hash = "${hash}"\nlocal_modifications = false\ncollection_sha = "${hash}"\n`;
  const hashOf = (n: string) => r.find((x) => x.name === n)!.content_hash;
  const text = [
    rec('api-spec', 'spec_file', 'specs/api-spec.md', hashOf('api-spec')),
    rec('style', 'rule_file', '.claude/rules/style.md', hashOf('style')),
    rec('claude-md', 'project_config', 'CLAUDE.md', hashOf('claude-md')),
    rec('lint', 'hook', 'hooks/lint', 'a'.repeat(64)),
    rec('github', 'mcp', 'mcp/github', 'b'.repeat(64)),
  ].join('\n');
  fs.writeFileSync(path.join(w.claude, RECORDS_FILE), text);
  return text;
}

describe('SkillMeat context entities (recorded from SkillMeat 0.9.1)', () => {
  const tmp = useTempDirs();
  let live: Sqlite3 | undefined;
  afterEach(async () => { await live?.close(); live = undefined; });

  it('recorded: SkillMeat deploys the row content byte for byte, content_hash = sha256(content), and writes no record', () => {
    for (const r of rows('cache.artifacts.json')) {
      assert.equal(sha(Buffer.from(r.content, 'utf8')), r.content_hash, r.name);
      assert.equal(fs.readFileSync(path.join(DIR, 'project', r.path_pattern), 'utf8'), r.content, r.name);
    }
    assert.ok(fs.existsSync(path.join(DIR, 'deployed.toml.absent')), 'SkillMeat 0.9.1 records no context entity in .skillmeat-deployed.toml');
    assert.match(fs.readFileSync(path.join(DIR, 'cache.files.txt'), 'utf8'), /cache\.db-wal/);
  });

  it('reads the rows read-only from the WAL, with SkillMeat\'s hashes, and writes nothing', async () => {
    const w = makeWorld(tmp);
    live = await cacheDb(w, rows('cache.artifacts.json'));
    const db = contextDbPath(w.home);
    const before = fs.readdirSync(path.dirname(db)).map((f) => [f, sha(fs.readFileSync(path.join(path.dirname(db), f)))]);
    assert.ok(fs.statSync(`${db}-wal`).size > 0, 'the rows are in the -wal file, as SkillMeat leaves them');
    const c = readContextCollection(await loadSqlJs(), db);
    assert.equal(c.problem, undefined);
    assert.deepEqual(c.rows.map((r) => [r.type, r.name, r.pathPattern, r.contentHash]).sort(), rows('cache.artifacts.json').map((r) => [r.type, r.name, r.path_pattern, r.content_hash]).sort());
    assert.deepEqual(fs.readdirSync(path.dirname(db)).map((f) => [f, sha(fs.readFileSync(path.join(path.dirname(db), f)))]), before);
  });

  it('a deployed project is in sync; hook and mcp are listed as not synced and kept byte for byte', async () => {
    const w = makeWorld(tmp);
    live = await cacheDb(w, rows('cache.artifacts.json'));
    const text = project(w);
    const report = checkDrift({ project: w.project, env: w.env, sqlJs: await loadSqlJs() });
    const states = report.artifacts.map((a) => `${a.type}:${a.name}:${a.state}`).sort();
    assert.deepEqual(states, ['project_config:claude-md:in-sync', 'rule_file:style:in-sync', 'spec_file:api-spec:in-sync']);
    assert.equal(report.artifacts.find((a) => a.name === 'claude-md')!.projectPath, path.join(w.project, 'CLAUDE.md'));
    assert.deepEqual(report.unmanaged.map((u) => `${u.type}:${u.name}`), ['hook:lint', 'mcp:github']);
    assert.deepEqual(report.errors, []);
    assert.equal(fs.readFileSync(path.join(w.claude, RECORDS_FILE), 'utf8'), text);
  });

  it('real states: outdated after SkillMeat\'s recorded edit, modified, conflict, deleted, removed; CRLF only is no change', async () => {
    const w = makeWorld(tmp);
    // The collection as it was after the recorded PUT (api-spec edited), and without "style" (deleted in SkillMeat).
    live = await cacheDb(w, rows('cache.artifacts.after-edit.json').filter((r) => r.name !== 'style'));
    project(w);
    const states = async () => Object.fromEntries(checkDrift({ project: w.project, env: w.env, sqlJs: await loadSqlJs() }).artifacts.map((a) => [a.name, a.state]));
    assert.deepEqual(await states(), { 'api-spec': 'outdated', style: 'removed', 'claude-md': 'in-sync' });
    fs.writeFileSync(path.join(w.project, 'CLAUDE.md'), '# Project\r\nUse tabs.\r\n');
    assert.equal((await states())['claude-md'], 'in-sync');
    fs.appendFileSync(path.join(w.project, 'CLAUDE.md'), 'local line\n');
    fs.appendFileSync(path.join(w.claude, 'specs', 'api-spec.md'), 'local line\n');
    assert.deepEqual(await states(), { 'api-spec': 'conflict', style: 'removed', 'claude-md': 'modified' });
    fs.rmSync(path.join(w.project, 'CLAUDE.md'));
    assert.equal((await states())['claude-md'], 'deleted');
  });

  it('without a readable cache database its records are unreachable, never in sync', async () => {
    const w = makeWorld(tmp);
    project(w);
    const report = checkDrift({ project: w.project, env: w.env, sqlJs: await loadSqlJs() });
    assert.deepEqual([...new Set(report.artifacts.map((a) => a.state))], ['unreachable']);
    assert.ok(report.warnings.some((x) => x.file === contextDbPath(w.home)));
  });

  it('update writes the collection version into the project and re-baselines the record as SkillMeat would; pull is refused', async () => {
    const w = makeWorld(tmp);
    live = await cacheDb(w, rows('cache.artifacts.after-edit.json'));
    project(w);
    fs.appendFileSync(path.join(w.project, 'CLAUDE.md'), 'local line\n');
    const store = await VersionStore.open(path.join(w.home, 'sync'));
    try {
      const dbBefore = fs.readdirSync(path.dirname(contextDbPath(w.home))).map((f) => sha(fs.readFileSync(path.join(path.dirname(contextDbPath(w.home)), f))));
      const up = await runSync({ project: w.project, env: w.env, direction: 'update', strategy: 'overwrite', store, names: ['api-spec'] });
      assert.equal(up.status, 'success', JSON.stringify(up));
      const edited = rows('cache.artifacts.after-edit.json').find((r) => r.name === 'api-spec')!;
      assert.equal(fs.readFileSync(path.join(w.claude, 'specs', 'api-spec.md'), 'utf8'), edited.content);
      const records = fs.readFileSync(path.join(w.claude, RECORDS_FILE), 'utf8');
      assert.match(records, new RegExp(`artifact_path = "specs/api-spec.md"\ncontent_hash = "${edited.content_hash}"`));
      assert.match(records, new RegExp(`merge_base_snapshot = "${edited.content_hash}"`));
      const pull = await runSync({ project: w.project, env: w.env, direction: 'pull', strategy: 'overwrite', store, names: ['claude-md'] });
      assert.equal(pull.artifacts[0].status, 'failed');
      assert.match(pull.artifacts[0].reason!, /refused: .*SkillMeat's cache database.*Edit it in SkillMeat/);
      const fork = await runSync({ project: w.project, env: w.env, direction: 'update', strategy: 'fork', store, names: ['claude-md'] });
      assert.equal(fork.artifacts[0].status, 'skipped'); // modified: nothing to update
      assert.deepEqual(fs.readdirSync(path.dirname(contextDbPath(w.home))).map((f) => sha(fs.readFileSync(path.join(path.dirname(contextDbPath(w.home)), f)))), dbBefore);
      const after = checkDrift({ project: w.project, env: w.env, sqlJs: await loadSqlJs() });
      assert.deepEqual(Object.fromEntries(after.artifacts.map((a) => [a.name, a.state])), { 'api-spec': 'in-sync', style: 'in-sync', 'claude-md': 'modified' });
      assert.match(after.artifacts.find((a) => a.name === 'claude-md')!.recommendation, /edit it in SkillMeat/);
    } finally { store.close(); }
  });

  it('CLI: check lists them (text and JSON) and the records SkillMeat Sync does not sync; a pull exits 1 naming why', async () => {
    const w = makeWorld(tmp);
    live = await cacheDb(w, rows('cache.artifacts.after-edit.json'));
    project(w);
    fs.appendFileSync(path.join(w.project, 'CLAUDE.md'), 'local line\n');
    const io = captureIO({ env: { ...w.env, NO_COLOR: '1' }, cwd: w.project });
    assert.equal(await main(['check', '--project', w.project], io), 1);
    const text = io.stdout.join('\n');
    assert.match(text, /outdated +spec_file +api-spec/);
    assert.match(text, /modified +project_config +claude-md/);
    assert.match(text, /\(hook record "lint" in \.claude kept as is; SkillMeat Sync does not sync hooks\)/);
    const json = captureIO({ env: w.env, cwd: w.project });
    await main(['check', '--project', w.project, '--json'], json);
    const report = JSON.parse(json.stdout.join('')) as { artifacts: { type: string; name: string; state: string }[]; notSynced: { type: string }[] };
    assert.deepEqual(report.artifacts.map((a) => `${a.type}:${a.name}:${a.state}`).sort(), ['project_config:claude-md:modified', 'rule_file:style:in-sync', 'spec_file:api-spec:outdated']);
    assert.deepEqual(report.notSynced.map((u) => u.type), ['hook', 'mcp']);
    const pull = captureIO({ env: { ...w.env, NO_COLOR: '1' }, cwd: w.project });
    assert.equal(await main(['pull', 'claude-md', '--type', 'project_config', '--strategy', 'overwrite', '--project', w.project], pull), 1);
    assert.match(pull.stdout.join('\n'), /failed +project_config claude-md \(\.claude\): pull of project_config "claude-md" refused: .*Edit it in SkillMeat/);
  });
});
