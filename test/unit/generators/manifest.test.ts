import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SYNC_SCHEMA, validateManifest } from '../../../src/core/generators';
import type { ManifestError, ValidatedManifest } from '../../../src/core/generators';
import { cleanupTemp, makeSkill, manifestOf, tempDir, write } from './helpers';

const GEN = '#!/bin/sh\necho "# out" > "$SYNC_OUTPUT_FILE"\n';

function validate(manifest: unknown, opts: { allowedOutputDirs?: string[]; setup?: (ws: string, skillDir: string) => void } = {}): ValidatedManifest & { ws: string } {
  const ws = tempDir('ws');
  const skillDir = makeSkill(ws, 'notes', manifest, GEN);
  opts.setup?.(ws, skillDir);
  return { ...validateManifest(path.join(skillDir, 'SYNC.json'), ws, { allowedOutputDirs: opts.allowedOutputDirs }), ws };
}

function onlyError(v: ValidatedManifest): ManifestError {
  assert.equal(v.valid, false, 'expected the manifest to be invalid');
  assert.equal(v.errors.length, 1, `expected one error, got ${JSON.stringify(v.errors, null, 1)}`);
  const e = v.errors[0];
  // every error names the file and says what to do
  assert.equal(e.file, v.file);
  assert.ok(e.fix.length > 0);
  return e;
}

describe('SYNC.json schema validation', () => {
  afterEach(cleanupTemp);

  it('accepts a complete manifest and resolves its paths', () => {
    const v = validate(manifestOf({ description: 'Syncs notes' }));
    assert.deepEqual(v.errors, []);
    assert.equal(v.valid, true);
    assert.equal(v.outputPath, path.join(v.ws, 'OUT.md'));
    assert.equal(v.generatorPath, path.join(v.skillDir, 'scripts', 'sync.sh'));
    assert.deepEqual(v.manifest?.patterns, ['notes:*']);
  });

  for (const field of ['version', 'outputFile', 'patterns', 'generator']) {
    it(`reports a missing "${field}" with its pointer and an example`, () => {
      const m = manifestOf();
      delete m[field];
      const e = onlyError(validate(m));
      assert.equal(e.code, 'schema');
      assert.equal(e.pointer, `/${field}`);
      assert.match(e.message, new RegExp(`"${field}" is missing`));
      assert.match(e.fix, new RegExp(`add "${field}"`));
    });
  }

  const violations: [string, Record<string, unknown>, string, RegExp][] = [
    ['version "2"', { version: '2' }, '/version', /must be "1"/],
    ['version as the number 1', { version: 1 }, '/version', /must be a string/],
    ['an empty outputFile', { outputFile: '' }, '/outputFile', /must not be empty/],
    ['a non-string outputFile', { outputFile: ['a.md'] }, '/outputFile', /must be a string/],
    ['an empty patterns array', { patterns: [] }, '/patterns', /must not be empty/],
    ['patterns as a string', { patterns: 'notes:*' }, '/patterns', /must be an array/],
    ['an empty pattern', { patterns: ['notes:*', ''] }, '/patterns/1', /must not be empty/],
    ['a non-string pattern', { patterns: [3] }, '/patterns/0', /must be a string/],
    ['a pattern with a comma', { patterns: ['a:*,b:*'] }, '/patterns/0', /must match pattern/],
    ['an empty generator', { generator: '' }, '/generator', /must not be empty/],
    ['a non-string generator', { generator: true }, '/generator', /must be a string/],
    ['a non-string description', { description: 42 }, '/description', /must be a string/],
  ];
  for (const [what, over, pointer, message] of violations) {
    it(`rejects ${what}, naming ${pointer}`, () => {
      const e = onlyError(validate(manifestOf(over)));
      assert.equal(e.code, 'schema');
      assert.equal(e.pointer, pointer);
      assert.match(e.message, message);
      assert.ok(e.line !== undefined && e.line > 1, 'the error is located in the file');
    });
  }

  it('warns about an unknown field, naming it, and stays valid (ambrogio ignores unknown fields)', () => {
    const v = validate(manifestOf({ outputfile: 'x.md' }));
    assert.equal(v.valid, true, JSON.stringify(v.errors));
    assert.equal(v.warnings.length, 1);
    assert.equal(v.warnings[0].code, 'unknown-field');
    assert.equal(v.warnings[0].pointer, '/outputfile');
    assert.match(v.warnings[0].message, /unknown field "outputfile"/);
    assert.match(v.warnings[0].fix, /outputFile/);
    assert.ok(v.warnings[0].line !== undefined && v.warnings[0].line > 1, 'the warning is located in the file');
  });

  it('rejects a document that is not an object', () => {
    const e = onlyError(validate('["version", "1"]'));
    assert.equal(e.pointer, '');
    assert.match(e.message, /must hold a JSON object/);
  });

  it('reports every violation, not just the first', () => {
    const v = validate({ version: 2, patterns: [], extra: true });
    const pointers = v.errors.map((e) => e.pointer).sort();
    assert.deepEqual(pointers, ['/generator', '/outputFile', '/patterns', '/version']);
    assert.deepEqual(v.warnings.map((e) => e.pointer), ['/extra']);
  });

  it('names the line and column of malformed JSON', () => {
    const e = onlyError(validate('{\n  "version": "1",\n  "outputFile": ,\n}'));
    assert.equal(e.code, 'malformed-json');
    assert.equal(e.line, 3);
    assert.equal(e.column, 17);
    assert.match(e.message, /line 3, column 17/);
    assert.ok(e.fix.includes(e.file));
  });

  it('names the position of a trailing comma and of a truncated file', () => {
    assert.equal(onlyError(validate('{"version": "1",\n}')).line, 2);
    const truncated = onlyError(validate('{"version": "1"'));
    assert.equal(truncated.code, 'malformed-json');
    assert.match(truncated.message, /line 1, column 16/);
  });

  it('refuses a huge file without parsing it', () => {
    const e = onlyError(validate(`{"description": "${'x'.repeat(2 << 20)}"}`));
    assert.equal(e.code, 'unreadable');
    assert.match(e.message, /far too large/);
  });

  it('accepts a UTF-8 byte order mark', () => {
    const v = validate(`\ufeff${JSON.stringify(manifestOf())}`);
    assert.deepEqual(v.errors, []);
  });

  it('is driven by a draft-07 schema that documents every field for IntelliSense', () => {
    const schema = SYNC_SCHEMA as { $schema: string; properties: Record<string, { description?: string; markdownDescription?: string }>; additionalProperties: boolean };
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.additionalProperties, false);
    for (const [name, prop] of Object.entries(schema.properties)) {
      assert.ok(prop.description && prop.markdownDescription, `${name} has descriptions`);
    }
    const onDisk = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'schemas', 'sync.schema.json'), 'utf8')) as unknown;
    assert.deepEqual(onDisk, SYNC_SCHEMA);
  });
});

describe('SYNC.json generator checks', () => {
  afterEach(cleanupTemp);

  it('refuses a generator outside the skill directory', () => {
    const e = onlyError(validate(manifestOf({ generator: '../other/sync.sh' }), {
      setup: (ws) => write(path.join(ws, '.claude', 'skills', 'other', 'sync.sh'), GEN, 0o755),
    }));
    assert.equal(e.code, 'generator-outside');
    assert.equal(e.pointer, '/generator');
    assert.match(e.fix, /skillmeatSync\.generators\.allowGeneratorsOutsideSkill \(CLI: --allow-generator-outside-skill\)/);
  });

  it('accepts a generator outside the skill directory when the setting allows it, as ambrogio does', () => {
    const ws = tempDir('ws');
    const skill = makeSkill(ws, 'notes', manifestOf({ generator: '../shared/sync.sh' }));
    write(path.join(ws, '.claude', 'skills', 'shared', 'sync.sh'), GEN, 0o755);
    const v = validateManifest(path.join(skill, 'SYNC.json'), ws, { allowGeneratorsOutsideSkill: true });
    assert.equal(v.valid, true, JSON.stringify(v.errors));
    assert.equal(v.generatorPath, path.join(ws, '.claude', 'skills', 'shared', 'sync.sh'));
  });

  it('refuses a generator that is a symlink leaving the skill directory', () => {
    const outside = tempDir('outside');
    const e = onlyError(validate(manifestOf({ generator: './scripts/link.sh' }), {
      setup: (_ws, skill) => {
        write(path.join(outside, 'evil.sh'), GEN, 0o755);
        fs.symlinkSync(path.join(outside, 'evil.sh'), path.join(skill, 'scripts', 'link.sh'));
      },
    }));
    assert.equal(e.code, 'generator-outside');
    assert.match(e.message, /symlink/);
  });

  it('refuses a missing generator, saying where it was looked for', () => {
    const e = onlyError(validate(manifestOf({ generator: './scripts/missing.sh' })));
    assert.equal(e.code, 'generator-missing');
    assert.match(e.message, /scripts\/missing\.sh does not exist/);
  });

  it('refuses a generator that is neither executable nor a known script type', () => {
    const e = onlyError(validate(manifestOf({ generator: './scripts/gen' }), {
      setup: (_ws, skill) => write(path.join(skill, 'scripts', 'gen'), GEN, 0o644),
    }));
    assert.equal(e.code, 'generator-not-runnable');
    assert.match(e.fix, /chmod \+x/);
  });

  it('runs a non-executable .sh generator through bash', () => {
    const v = validate(manifestOf(), { setup: (_ws, skill) => fs.chmodSync(path.join(skill, 'scripts', 'sync.sh'), 0o644) });
    assert.equal(v.valid, true);
    assert.deepEqual(v.command, { command: 'bash', args: [v.generatorPath] });
  });
});

describe('SYNC.json outputFile confinement', () => {
  afterEach(cleanupTemp);

  it('resolves a relative outputFile against the workspace folder', () => {
    const v = validate(manifestOf({ outputFile: 'docs/NOTES.md' }));
    assert.equal(v.outputPath, path.join(v.ws, 'docs', 'NOTES.md'));
  });

  it('accepts ".." that stays inside the workspace', () => {
    const v = validate(manifestOf({ outputFile: 'docs/../NOTES.md' }));
    assert.equal(v.outputPath, path.join(v.ws, 'NOTES.md'));
  });

  it('refuses a relative outputFile that climbs out with ".."', () => {
    const e = onlyError(validate(manifestOf({ outputFile: 'docs/../../NOTES.md' })));
    assert.equal(e.code, 'output-outside');
    assert.equal(e.pointer, '/outputFile');
  });

  it('refuses an absolute outputFile outside the workspace', () => {
    const outside = tempDir('outside');
    const e = onlyError(validate(manifestOf({ outputFile: path.join(outside, 'NOTES.md') })));
    assert.equal(e.code, 'output-outside');
    assert.match(e.fix, /skillmeatSync\.generators\.allowedOutputDirs \(CLI: --allow-output DIR or SKILLMEAT_SYNC_OUTPUT_DIRS\)/);
  });

  it('writes ambrogio\'s /data/… outputFile under the data root, which is then an allowed directory', () => {
    const ws = tempDir('ws');
    const dataRoot = tempDir('data');
    const skill = makeSkill(ws, 'notes', manifestOf({ outputFile: '/data/notes/NOTES.md' }), GEN);
    const v = validateManifest(path.join(skill, 'SYNC.json'), ws, { dataRoot });
    assert.equal(v.valid, true, JSON.stringify(v.errors));
    assert.equal(v.outputPath, path.join(dataRoot, 'notes', 'NOTES.md'));
  });

  it('refuses a /data/… outputFile that climbs out of the data root, and other absolute paths outside it', () => {
    const ws = tempDir('ws');
    const dataRoot = tempDir('data');
    for (const outputFile of ['/data/../etc/NOTES.md', '/database/NOTES.md', '/data']) {
      const skill = makeSkill(ws, 'notes', manifestOf({ outputFile }), GEN);
      const e = onlyError(validateManifest(path.join(skill, 'SYNC.json'), ws, { dataRoot }));
      assert.equal(e.code, 'output-outside', outputFile);
    }
  });

  it('refuses a /data/… outputFile without a data root, naming the setting (and its CLI flag and variable)', () => {
    const e = onlyError(validate(manifestOf({ outputFile: '/data/MEMORY.md' })));
    assert.equal(e.code, 'output-outside');
    assert.match(e.fix, /ambrogio's data root \/data: set skillmeatSync\.generators\.dataRoot \(CLI: --data-root DIR or DATA_ROOT\)/);
  });

  it('accepts an absolute outputFile inside the workspace', () => {
    const ws = tempDir('ws');
    const skill = makeSkill(ws, 'notes', manifestOf({ outputFile: path.join(ws, 'NOTES.md') }), GEN);
    const v = validateManifest(path.join(skill, 'SYNC.json'), ws);
    assert.equal(v.valid, true);
    assert.equal(v.outputPath, path.join(ws, 'NOTES.md'));
  });

  it('accepts an absolute outputFile inside an allowed directory', () => {
    const data = tempDir('data');
    const v = validate(manifestOf({ outputFile: path.join(data, 'NOTES.md') }), { allowedOutputDirs: [data] });
    assert.equal(v.valid, true);
    assert.equal(v.outputPath, path.join(data, 'NOTES.md'));
  });

  it('refuses a relative outputFile in the allowed directory (relative paths stay in the workspace)', () => {
    const data = tempDir('data');
    const v = validate(manifestOf({ outputFile: path.relative(tempDir('ws0'), path.join(data, 'x.md')) }), { allowedOutputDirs: [data] });
    assert.equal(onlyError(v).code, 'output-outside');
  });

  it('refuses an outputFile reached through a symlinked directory that leaves the workspace', () => {
    const outside = tempDir('outside');
    const e = onlyError(validate(manifestOf({ outputFile: 'docs/sub/NOTES.md' }), {
      setup: (ws) => fs.symlinkSync(outside, path.join(ws, 'docs')),
    }));
    assert.equal(e.code, 'output-symlink');
    assert.ok(e.message.includes(outside));
  });

  it('refuses an outputFile that is itself a symlink', () => {
    const outside = tempDir('outside');
    const e = onlyError(validate(manifestOf({ outputFile: 'NOTES.md' }), {
      setup: (ws) => { write(path.join(outside, 'target.md'), 'x'); fs.symlinkSync(path.join(outside, 'target.md'), path.join(ws, 'NOTES.md')); },
    }));
    assert.equal(e.code, 'output-symlink');
  });

  it('refuses an outputFile below a dangling symlink', () => {
    const e = onlyError(validate(manifestOf({ outputFile: 'gone/NOTES.md' }), {
      setup: (ws) => fs.symlinkSync(path.join(ws, 'nowhere'), path.join(ws, 'gone')),
    }));
    assert.equal(e.code, 'output-symlink');
  });

  it('accepts a symlinked directory that stays inside the workspace', () => {
    const v = validate(manifestOf({ outputFile: 'alias/NOTES.md' }), {
      setup: (ws) => { fs.mkdirSync(path.join(ws, 'real')); fs.symlinkSync(path.join(ws, 'real'), path.join(ws, 'alias')); },
    });
    assert.equal(v.valid, true, JSON.stringify(v.errors));
  });

  it('refuses an outputFile that would overwrite the skill\'s SKILL.md', () => {
    const e = onlyError(validate(manifestOf({ outputFile: '.claude/skills/notes/SKILL.md' })));
    assert.equal(e.code, 'output-reserved');
  });

  it('refuses an outputFile that is a directory', () => {
    const e = onlyError(validate(manifestOf({ outputFile: 'docs' }), { setup: (ws) => fs.mkdirSync(path.join(ws, 'docs')) }));
    assert.equal(e.code, 'output-is-directory');
  });
});
