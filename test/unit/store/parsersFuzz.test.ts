// Property-based fuzz of every parser the product runs on input it does not control (issue 12): each either
// returns a result or throws its own typed error that names the file — never another exception, never a hang.
// The runs here are sized for the unit suite; the fuzzers are deterministic (fixed seeds), so a failure replays.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { parseRecords, viewRecord, serializeRecords, RecordsParseError } from '../../../src/core/store/deploymentRecords';
import { editLockText, lockEntryHash, CollectionLockError } from '../../../src/core/store/collectionLock';
import { readHomeConfig } from '../../../src/core/store/skillmeatHome';
import { validateCaptureSettings } from '../../../src/core/history/capturePolicy';
import { parseManifestText, validateManifest } from '../../../src/core/generators/manifest';
import { findJsonSyntaxError } from '../../../src/core/generators/jsonSyntax';
import { parseCommandArgs, UsageError } from '../../../src/cli/args';
import { COMMANDS } from '../../../src/cli/main';
import { GENERATORS_GROUP, STATE_GROUP } from '../../../src/cli/generators';
import { ARTIFACT_TYPES } from '../../../src/core/model';
import { useTempDirs } from '../helpers';

const RUNS = 1_500;
const settings = (seed: number) => ({ numRuns: RUNS, seed });

/** TOML-ish text: fragments of the records format, shuffled and cut, with junk in between. */
const tomlish = fc.array(fc.oneof(
  fc.constantFrom('[[deployed]]\n', '[deployed]\n', 'artifact_name = ', 'artifact_type = ', 'artifact_path = ', 'content_hash = ', 'from_collection = ',
    '"skill"', '"command"', '"skills/x"', '"../x"', '"a\\u0000b"', `"${'ab'.repeat(32)}"`, 'true', '1979-05-27T07:32:00Z', '\n', ' ', '=', '"', "'", '[', ']', '{', '}', '#',
    '"""', '\r\n', 'collection_sha = ', '[lock]\n', '[lock.entries."x::skill"]\n', 'version = "1.0.0"\n', 'fetched = '),
  fc.string({ maxLength: 8 })), { maxLength: 30 }).map((parts) => parts.join(''));

describe('parsers under fuzzing', () => {
  const tmp = useTempDirs();

  it('.skillmeat-deployed.toml: parses or throws RecordsParseError naming the file; every record views without throwing', () => {
    fc.assert(fc.property(tomlish, (text) => {
      let rf;
      try { rf = parseRecords(text, '/p/.claude/.skillmeat-deployed.toml'); } catch (e) {
        assert.ok(e instanceof RecordsParseError, `${(e as Error).constructor.name}: ${(e as Error).message}`);
        assert.ok((e as Error).message.startsWith('/p/.claude/.skillmeat-deployed.toml'));
        return;
      }
      rf.records.forEach((r, i) => viewRecord(r, i));
      parseRecords(serializeRecords(rf), 'again'); // what it writes back parses too
    }), settings(9));
  });

  it('collection.lock: an edit succeeds, is skipped with a reason, or throws CollectionLockError', () => {
    fc.assert(fc.property(tomlish, fc.constantFrom(...ARTIFACT_TYPES), fc.string({ maxLength: 6 }), fc.option(fc.constantFrom('ab'.repeat(32), 'cd'.repeat(32))), (text, type, name, hash) => {
      try {
        const o = editLockText(text, '/c/collection.lock', { name: name || 'x', type, contentHash: hash, fetched: '2026-01-01T00:00:00.000000' });
        lockEntryHash(o.text, '/c/collection.lock', name || 'x', type);
      } catch (e) {
        assert.ok(e instanceof CollectionLockError, `${(e as Error).constructor.name}: ${(e as Error).message}`);
      }
    }), settings(10));
  });

  it('config.toml: never throws; a bad file is a problem naming it, and the collection stays a plain name', () => {
    const home = tmp();
    fc.assert(fc.property(fc.oneof(tomlish, fc.string({ maxLength: 12 }).map((s) => `[settings]\ndefault-collection = ${JSON.stringify(s)}\n`)), (text) => {
      fs.writeFileSync(path.join(home, 'config.toml'), text);
      const c = readHomeConfig(home);
      assert.ok(!/[/\\]/.test(c.defaultCollection) && c.defaultCollection !== '..' && c.defaultCollection !== '.', c.defaultCollection);
      if (c.problem) assert.ok(c.problem.startsWith(path.join(home, 'config.toml')));
    }), { numRuns: 500, seed: 11 });
  });

  it('capture settings: any values give settings within bounds, with problems instead of exceptions', () => {
    const anyValue = fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 4 }), fc.constant(null), fc.constant(undefined), fc.boolean(), fc.constant(Number.NaN), fc.constant(-Infinity));
    fc.assert(fc.property(anyValue, anyValue, anyValue, anyValue, (q, m, r, d) => {
      const { settings: s } = validateCaptureSettings({ quietWindowSeconds: q, maxPerHour: m, rescanMinutes: r, retentionDays: d } as never);
      for (const v of [s.quietWindowMs, s.maxCapturesPerHour, s.rescanIntervalMs, s.retentionMs]) assert.ok(Number.isFinite(v) && v > 0, JSON.stringify(s));
    }), settings(12));
  });

  it('SYNC.json: text parses or gives an error naming the file; a manifest on disk validates to errors, never an exception', () => {
    const jsonish = fc.oneof(fc.json(), fc.string({ maxLength: 30 }),
      fc.record({ version: fc.oneof(fc.integer(), fc.string()), outputFile: fc.oneof(fc.string(), fc.constantFrom('../../x', '/etc/passwd', 'NOTES.md')), patterns: fc.array(fc.string()), generator: fc.oneof(fc.string(), fc.constantFrom('../x.sh', 'gen.sh')) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)));
    const ws = tmp();
    const skill = path.join(ws, '.claude', 'skills', 's');
    fs.mkdirSync(skill, { recursive: true });
    fc.assert(fc.property(jsonish, (text) => {
      const r = parseManifestText(text, '/w/SYNC.json');
      if ('error' in r) assert.ok(r.error.file === '/w/SYNC.json');
      findJsonSyntaxError(text);
      fs.writeFileSync(path.join(skill, 'SYNC.json'), text);
      const v = validateManifest(path.join(skill, 'SYNC.json'), ws);
      assert.equal(v.valid, v.errors.length === 0);
    }), { numRuns: 800, seed: 13 });
  });

  it('CLI arguments: any argv parses or is a UsageError, for every command', () => {
    const arg = fc.oneof(fc.constantFrom('--json', '--project', '--type', '--strategy', '--', '-h', '--help', '--x=1', '-1', '-', '--type=skill', '--=', '---', '--__proto__', '--constructor'), fc.string({ maxLength: 6 }));
    const groups = [COMMANDS, GENERATORS_GROUP, STATE_GROUP] as const;
    const commands = groups.flatMap((g) => Object.keys(g.commands).map((name) => [g, name] as const));
    fc.assert(fc.property(fc.constantFrom(...commands), fc.array(arg, { maxLength: 8 }), ([group, name], argv) => {
      try { parseCommandArgs(group as never, name, argv); } catch (e) {
        assert.ok(e instanceof UsageError, `${(e as Error).constructor.name}: ${(e as Error).message} for ${name} ${JSON.stringify(argv)}`);
      }
    }), settings(14));
  });
});
