// `.skillmeat-deployed.toml` (SPEC §2): byte-exact round trip of what SkillMeat writes, SkillMeat's key
// order on rewrite, lenient interpretation, parse errors that name file and line, and two writers.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { parse } from 'smol-toml';
import {
  parseRecords, readRecords, serializeRecord, serializeRecords, updateRecords, viewRecord, isHexHash, normaliseRecordPath, salvageRecords,
  RecordsParseError, RECORDS_FILE, TREE_HASH_KEY, type DeploymentRecord,
} from '../../../src/core/store/deploymentRecords';
import { useTempDirs, leftoverTemps } from '../helpers';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const D = 'd'.repeat(64);

/** A records file exactly as SkillMeat 0.9 (tomli_w) writes it, plus a comment a user added on top. */
const SKILLMEAT_FILE = `# Deployed by SkillMeat — do not edit by hand
# (a second comment line)

[[deployed]]
artifact_name = "review"
artifact_type = "skill"
from_collection = "default"
deployed_at = "2026-01-01T10:00:00.123456"
artifact_path = "skills/review"
content_hash = "${A}"
local_modifications = false
parent_hash = "${B}"
version_lineage = [
    "${A}",
    "${B}",
]
artifact_uuid = "cccccccccccccccccccccccccccccccc"
collection_sha = "${A}"

[[deployed]]
artifact_name = "x.md"
artifact_type = "agent"
from_collection = "default"
deployed_at = "2026-01-01T10:00:00"
artifact_path = "agents/x.md.md"
content_hash = "${D}"
local_modifications = true
team_note = "kept \\"quoted\\" \\\\ ü\\u0001\ttab"
collection_sha = "${D}"

[[deployed]]
artifact_name = "pre-commit"
artifact_type = "hook"
content_hash = "${'e'.repeat(64)}"
empty = []
f = 1.5

[deployed.extra_table]
a = 1
b = [
    1,
    2,
]
`;

function chunksOf(text: string): string[] {
  return text.split(/(?=^\[\[deployed\]\]$)/m);
}

describe('deployment records', () => {
  const tmp = useTempDirs();

  const rootWith = (text: string): { root: string; file: string } => {
    const root = path.join(tmp('records'), '.claude');
    fs.mkdirSync(root, { recursive: true });
    const file = path.join(root, RECORDS_FILE);
    fs.writeFileSync(file, text);
    return { root, file };
  };

  describe('round trip', () => {
    it('re-serialises a file SkillMeat wrote byte for byte', () => {
      assert.equal(serializeRecords(parseRecords(SKILLMEAT_FILE, 'f')), SKILLMEAT_FILE);
    });

    it('leaves the file byte-identical when an update changes nothing', async () => {
      const { root, file } = rootWith(SKILLMEAT_FILE);
      await updateRecords(root, () => { /* nothing */ });
      assert.equal(fs.readFileSync(file, 'utf8'), SKILLMEAT_FILE);
    });

    it('keeps CRLF line endings of an unchanged file', () => {
      const crlf = SKILLMEAT_FILE.replace(/\n/g, '\r\n');
      assert.equal(serializeRecords(parseRecords(crlf, 'f')), crlf);
    });

    it('leaves the other records byte-identical when one changes', async () => {
      const { root, file } = rootWith(SKILLMEAT_FILE);
      await updateRecords(root, (f) => {
        const r = f.records[1];
        f.records[1] = { fields: { ...r.fields, local_modifications: false } };
      });
      const [pre, first, second, third] = chunksOf(fs.readFileSync(file, 'utf8'));
      const [oPre, oFirst, , oThird] = chunksOf(SKILLMEAT_FILE);
      assert.equal(pre, oPre);
      assert.equal(first, oFirst);
      assert.equal(third, oThird);
      assert.match(second, /^local_modifications = false$/m);
      assert.ok(second.endsWith('\n\n'), 'a blank line still separates the changed table from the next');
    });

    it('writes a changed record in SkillMeat key order, unknown keys kept, collection_sha last', () => {
      const rec: DeploymentRecord = {
        fields: {
          collection_sha: A, team_note: 'mine', [TREE_HASH_KEY]: B, artifact_uuid: 'u', platform: 'claude_code', content_hash: A,
          version_lineage: [A, B], artifact_path: 'skills/review', local_modifications: false, parent_hash: B,
          deployed_at: '2026-01-01T10:00:00', from_collection: 'default', artifact_type: 'skill', artifact_name: 'review',
        },
      };
      const keys = serializeRecord(rec).split('\n').filter((l) => /^[a-z_]+ = /.test(l)).map((l) => l.split(' ')[0]);
      assert.deepEqual(keys, [
        'artifact_name', 'artifact_type', 'from_collection', 'deployed_at', 'artifact_path', 'content_hash', 'local_modifications',
        'parent_hash', 'version_lineage', 'platform', 'artifact_uuid', 'team_note', TREE_HASH_KEY, 'collection_sha',
      ]);
    });

    it('writes arrays as SkillMeat does: one item per line, 4-space indent, trailing commas', () => {
      const text = serializeRecord({ fields: { artifact_name: 'r', version_lineage: [A, B], collection_sha: A } });
      assert.equal(text, `[[deployed]]\nartifact_name = "r"\nversion_lineage = [\n    "${A}",\n    "${B}",\n]\ncollection_sha = "${A}"\n`);
    });

    it('writes values that read back to the same fields', () => {
      const fields = {
        artifact_name: 'we"ird\\ name\tü\u0001\n', artifact_type: 'skill', local_modifications: true, count: 3, ratio: 1.5,
        version_lineage: [A], nested: { a: 1, b: [1, 2], c: 'x' }, empty: [],
      };
      const back = parse(serializeRecord({ fields })) as { deployed: Record<string, unknown>[] };
      assert.deepEqual(JSON.parse(JSON.stringify(back.deployed[0])), fields); // smol-toml builds null-prototype objects
    });

    it('separates an appended record with a blank line, also when the file had no final newline', async () => {
      const { root, file } = rootWith(SKILLMEAT_FILE.trimEnd());
      await updateRecords(root, (f) => { f.records.push({ fields: { artifact_name: 'new', artifact_type: 'skill', content_hash: A } }); });
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(text.startsWith(SKILLMEAT_FILE.trimEnd() + '\n\n[[deployed]]\nartifact_name = "new"\n'));
      assert.equal(readRecords(root).records.length, 4);
    });

    it('keeps its neighbours byte-identical when a record in the middle is removed', async () => {
      const { root, file } = rootWith(SKILLMEAT_FILE);
      await updateRecords(root, (f) => { f.records.splice(1, 1); });
      const [pre, first, third] = chunksOf(SKILLMEAT_FILE).filter((_, i) => i !== 2);
      assert.equal(fs.readFileSync(file, 'utf8'), pre + first + third);
    });

    it('loses no top-level content when the file cannot be split per record', async () => {
      // A hand-edited file: a top-level key before the records and a table after them.
      const text = `schema = 1\n\n[[deployed]]\nartifact_name = "a"\nartifact_type = "skill"\nartifact_path = "skills/a"\ncontent_hash = "${A}"\n\n[meta]\nowner = "me"\n`;
      const { root, file } = rootWith(text);
      await updateRecords(root, (f) => { f.records.push({ fields: { artifact_name: 'b', artifact_type: 'skill', content_hash: B } }); });
      const doc = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      assert.equal(doc.schema, 1);
      assert.deepEqual({ ...(doc.meta as object) }, { owner: 'me' });
      assert.deepEqual((doc.deployed as { artifact_name: string }[]).map((r) => r.artifact_name), ['a', 'b']);
    });

    it('creates the file when the root has none', async () => {
      const root = path.join(tmp(), '.claude');
      await updateRecords(root, (f) => { f.records.push({ fields: { artifact_name: 'a', artifact_type: 'skill', content_hash: A, collection_sha: A } }); });
      assert.equal(fs.readFileSync(path.join(root, RECORDS_FILE), 'utf8'), `[[deployed]]\nartifact_name = "a"\nartifact_type = "skill"\ncontent_hash = "${A}"\ncollection_sha = "${A}"\n`);
    });
  });

  describe('parse errors', () => {
    it('name the file and the line', () => {
      const text = `[[deployed]]\nartifact_name = "a"\nartifact_type = skill\n`;
      assert.throws(() => parseRecords(text, '/p/.claude/.skillmeat-deployed.toml'), (e: unknown) => {
        assert.ok(e instanceof RecordsParseError);
        assert.equal(e.line, 3);
        assert.match(e.message, /^\/p\/\.claude\/\.skillmeat-deployed\.toml:3(:\d+)?: /);
        return true;
      });
    });

    it('reject a "deployed" that is not an array of tables', () => {
      assert.throws(() => parseRecords('deployed = "x"\n', 'f'), RecordsParseError);
    });

    it('leave the file untouched when an update is attempted', async () => {
      const broken = SKILLMEAT_FILE.replace('local_modifications = true', 'local_modifications = ');
      const { root, file } = rootWith(broken);
      await assert.rejects(updateRecords(root, (f) => { f.records.length = 0; }), RecordsParseError);
      assert.equal(fs.readFileSync(file, 'utf8'), broken);
      assert.deepEqual(leftoverTemps(root), []);
    });

    it('treat a missing file as no records', () => {
      const f = readRecords(path.join(tmp(), '.claude'));
      assert.deepEqual([f.exists, f.records.length], [false, 0]);
    });
  });

  describe('interpretation', () => {
    const view = (fields: Record<string, unknown>) => viewRecord({ fields }, 0);

    it('matches a .md-suffixed name at its doubled path to the real file', () => {
      const v = view({ artifact_name: 'x.md', artifact_type: 'agent', artifact_path: 'agents/x.md.md', content_hash: A });
      assert.deepEqual([v.name, v.relPath, v.invalid], ['x', 'agents/x.md', undefined]);
    });

    it('reads a namespaced command', () => {
      const v = view({ artifact_name: 'x', artifact_type: 'command', artifact_path: 'commands/ns/x.md', content_hash: A });
      assert.deepEqual([v.name, v.relPath], ['ns/x', 'commands/ns/x.md']);
    });

    it('falls back to collection_sha when content_hash is missing', () => {
      assert.equal(view({ artifact_name: 'a', artifact_type: 'skill', artifact_path: 'skills/a', collection_sha: B }).contentHash, B);
    });

    it('reports a record with neither content_hash nor collection_sha as invalid', () => {
      assert.match(view({ artifact_name: 'a', artifact_type: 'skill', artifact_path: 'skills/a' }).invalid ?? '', /neither content_hash nor collection_sha/);
    });

    it('reports a path that escapes the profile root as invalid', () => {
      for (const p of ['../../etc', 'skills/../../etc', '/etc/passwd', 'C:\\Windows']) {
        assert.match(view({ artifact_name: 'a', artifact_type: 'skill', artifact_path: p, content_hash: A }).invalid ?? '', /escapes|not where/, p);
      }
    });

    it('reports a from_collection that is not a plain collection name as invalid', () => {
      for (const c of ['../../x', 'team/../../x', '/abs/path', 'a\\b', '..', '.']) {
        assert.match(view({ artifact_name: 'a', artifact_type: 'skill', artifact_path: 'skills/a', content_hash: A, from_collection: c }).invalid ?? '', /from_collection/, c);
      }
      assert.equal(view({ artifact_name: 'a', artifact_type: 'skill', artifact_path: 'skills/a', content_hash: A, from_collection: 'team-1.2' }).invalid, undefined);
    });

    it('reports a path outside the type directory as invalid', () => {
      assert.match(view({ artifact_name: 'a', artifact_type: 'skill', artifact_path: 'commands/a', content_hash: A }).invalid ?? '', /not where a skill lives/);
    });

    it('keeps an enterprise version string as the hash without calling it invalid', () => {
      const v = view({ artifact_name: 'a', artifact_type: 'skill', artifact_path: 'skills/a', content_hash: 'v1.2.0' });
      assert.deepEqual([v.invalid, v.contentHash, isHexHash(v.contentHash)], [undefined, 'v1.2.0', false]);
    });

    it('reads hook and mcp records without judging them', () => {
      for (const t of ['hook', 'mcp']) {
        const v = view({ artifact_name: 'h', artifact_type: t, artifact_path: 'hooks/h.json', content_hash: A });
        assert.deepEqual([v.type, v.invalid], [t, undefined]);
      }
    });

    it('derives the name from the path when the record has none', () => {
      assert.equal(view({ artifact_type: 'command', artifact_path: 'commands/ns/x.md', content_hash: A }).name, 'ns/x');
    });

    it('normalises Windows separators and a trailing slash', () => {
      assert.equal(normaliseRecordPath('skills\\review\\'), 'skills/review');
    });

    it('reads a TOML datetime in deployed_at as text', () => {
      const f = parseRecords(`[[deployed]]\nartifact_name = "a"\nartifact_type = "skill"\ndeployed_at = 2026-01-01T10:00:00\ncontent_hash = "${A}"\n`, 'f');
      assert.match(viewRecord(f.records[0], 0).deployedAt ?? '', /^2026-01-01T10:00:00/);
    });

    it('reports a record without artifact_type as invalid', () => {
      assert.match(view({ artifact_name: 'a', content_hash: A }).invalid ?? '', /no artifact_type/);
    });
  });

  describe('two writers', () => {
    it('lose none of each other\'s records when two processes append at once', async () => {
      const base = tmp();
      const root = path.join(base, '.claude');
      fs.mkdirSync(root, { recursive: true });
      const go = path.join(base, 'go');
      const N = 100;
      const moduleFile = path.resolve(__dirname, '../../../src/core/store/deploymentRecords.ts');
      // Each writer says when it is loaded, then spins until the go file exists, so both really write at once.
      const child = (tag: string, ready: () => void) => new Promise<void>((resolve, reject) => {
        const code = `const fs = require('node:fs');
const { updateRecords } = require(${JSON.stringify(moduleFile)});
process.stdout.write('ready\\n');
const deadline = Date.now() + 20000;
while (!fs.existsSync(${JSON.stringify(go)})) if (Date.now() > deadline) process.exit(3);
(async () => { for (let i = 0; i < ${N}; i++) await updateRecords(${JSON.stringify(root)}, (f) => { f.records.push({ fields: { artifact_name: '${tag}-' + i, artifact_type: 'skill', content_hash: '${A}' } }); }); })().catch((e) => { console.error(e); process.exit(1); });`;
        const p = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', code], { cwd: path.resolve(__dirname, '../../..'), stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        p.stdout.once('data', ready);
        p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
        p.on('error', reject);
        p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`writer ${tag} exited ${c}: ${err}`))));
      });
      let readyCount = 0;
      const onReady = () => { if (++readyCount === 2) fs.writeFileSync(go, ''); };
      await Promise.all([child('one', onReady), child('two', onReady)]);
      const names = readRecords(root).records.map((r) => String(r.fields.artifact_name)).sort();
      const expected = ['one', 'two'].flatMap((t) => Array.from({ length: N }, (_, i) => `${t}-${i}`)).sort();
      assert.deepEqual(names, expected);
      assert.deepEqual(leftoverTemps(root), []);
    });
  });

  describe('salvage of a file TOML cannot parse', () => {
    const broken = [
      '# written by SkillMeat',
      '[[deployed]]',
      'artifact_name = "review"',
      'artifact_type = "skill"',
      'content_hash = = "oops"',
      '',
      '[[deployed]]',
      "artifact_name = 'x.md'",
      'artifact_type = "agent"',
      'artifact_path = "agents/x.md.md"',
      '',
      '[[deployed]]',
      'artifact_type = "command"',
      'artifact_path = "commands/git/sync.md"  # namespaced',
      '',
    ].join('\n');

    it('names each record by its quoted keys, with its header line and normalised path', () => {
      assert.throws(() => parseRecords(broken, 'f'), RecordsParseError);
      const { records, complete } = salvageRecords(broken);
      assert.deepEqual(records, [
        { line: 2, name: 'review', type: 'skill', relPath: 'skills/review' },
        { line: 7, name: 'x', type: 'agent', relPath: 'agents/x.md' },
        { line: 12, name: 'git/sync', type: 'command', relPath: 'commands/git/sync.md' },
      ]);
      assert.equal(complete, true);
    });

    it('is incomplete when a table gives no name or type, and never throws on garbage', () => {
      const { records, complete } = salvageRecords('[[deployed]]\nartifact_name = \n');
      assert.deepEqual([records.length, complete], [1, false]);
      assert.equal(salvageRecords('artifact_name = "stray"\n').complete, false, 'keys outside any table');
      assert.deepEqual(salvageRecords('\u0000[[[ \n"\\').records, []);
    });

    it('keeps a path that would leave the root out of what it names', () => {
      const { records } = salvageRecords('[[deployed]]\nartifact_name = "etc"\nartifact_type = "skill"\nartifact_path = "../../etc"\n');
      assert.equal(records[0].relPath, undefined);
    });
  });
});
