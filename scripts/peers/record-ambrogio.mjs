// Re-records what the real ambrogio prints and writes, into test/fixtures/peers/ambrogio/ (SPEC §13).
// Run through scripts/peers/record-ambrogio.sh, which checks BUN and AMBROGIO_SRC. Never needed by npm test:
// the unit tests in test/unit/generators/peers*.test.ts replay these recordings against our shim and runner.
//
// What is normalised, and how:
// - updatedAt: ambrogio-server.mjs fixes ambrogio's clock (2026-02-13T10:00:00Z, +1 s per timestamp taken),
//   so the rows each scenario writes carry the same timestamps on every re-recording.
// - temp paths: each run's temporary directory is written as $TMP in recorded text.
// - time zone and locale: every ambrogio process runs with the scenario's TZ (UTC unless stated) and LANG=C.UTF-8
//   (Bun formats dates as en-US whatever LANG says; we record it anyway).
// - ambrogio's generator runs need an absolute outputFile (its convention is /data/…); the recording copies each
//   skill and rewrites "/data/" in its SYNC.json to $TMP/data/ (nothing is written to this machine's /data).
//   Our side runs the unmodified SYNC.json with the data root set to a temp folder.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const out = path.join(repo, 'test', 'fixtures', 'peers', 'ambrogio');
const BUN = process.env.BUN;
const SRC = path.resolve(process.env.AMBROGIO_SRC ?? '');
const CTL = path.join(SRC, 'src', 'cli', 'ambrogioctl.ts');

function baseEnv(tmp, extra = {}) {
  return {
    PATH: [path.join(SRC, 'bin'), path.dirname(BUN), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    HOME: tmp, LANG: 'C.UTF-8', TZ: 'UTC',
    AMBROGIO_SOCKET_PATH: path.join(tmp, 'ambrogio.sock'),
    ...extra,
  };
}

/** Starts ambrogio's StateStore + RPC server on a fresh data root; resolves once it listens. */
async function startServer(tmp) {
  const dataRoot = path.join(tmp, 'ambrogio-data');
  const child = spawn(BUN, [path.join(here, 'ambrogio-server.mjs'), SRC, dataRoot, path.join(tmp, 'ambrogio.sock')], { stdio: ['ignore', 'pipe', 'inherit'], env: baseEnv(tmp) });
  await new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => { text += d; if (text.includes('ready\n')) resolve(); });
    child.on('exit', (code) => reject(new Error(`ambrogio server exited ${code}`)));
  });
  return { dataRoot, stop: () => new Promise((resolve) => { child.removeAllListeners('exit'); child.on('exit', resolve); child.kill('SIGTERM'); }) };
}

function normalise(text, tmp) {
  return text.split(tmp).join('$TMP');
}

/** Runs the real `ambrogioctl ARGV…`; stdout, stderr and exit code as the caller sees them. */
function ctl(tmp, argv, extraEnv = {}) {
  const r = spawnSync(BUN, ['run', CTL, ...argv], { env: baseEnv(tmp, extraEnv), encoding: 'utf8' });
  return { code: r.status, stdout: normalise(r.stdout, tmp), stderr: normalise(r.stderr, tmp) };
}

function tempDir() {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'amb-rec-')));
}

// ---------------------------------------------------------------------------------------------------------
// ambrogioctl state …: each scenario starts from an empty store. `seed` steps are recorded like the others;
// the replay applies them to our store directly with the same clock, and runs the others through the shim.

const set = (k, v) => ({ seed: true, argv: ['state', 'set', k, v] });

const STATE_SCENARIOS = [
  { name: 'empty store', steps: [
    { argv: ['state', 'list'] },
    { argv: ['state', 'list', '--json'] },
    { argv: ['state', 'list', '--pattern', 'notes:*'] },
    { argv: ['state', 'list', '--pattern', 'notes:*', '--json'] },
    { argv: ['state', 'get', 'nope'] },
    { argv: ['state', 'get', 'nope', '--json'] },
  ] },
  { name: 'list, get and --key', steps: [
    set('notes:entry:b', '{"type":"idea","title":"B"}'), set('notes:entry:a', 'plain'), set('memory:x', 'm'), set('Notes:Entry:C', 'upper'),
    { argv: ['state', 'list'] },
    { argv: ['state', 'list', '--json'] },
    { argv: ['state', 'list', '--pattern', 'notes:entry:*', '--json'] },
    { argv: ['state', 'list', '--pattern', 'NOTES:*'] },
    { argv: ['state', 'list', '--pattern', 'notes:entry:?'] },
    { argv: ['state', 'list', '--json', '--pattern', 'memory:x'] },
    { argv: ['state', 'list', '--pattern'] },
    { argv: ['state', 'get', 'notes:entry:a'] },
    { argv: ['state', 'get', '--key', 'notes:entry:b'] },
    { argv: ['state', 'get', 'notes:entry:b', '--json'] },
    { argv: ['state', 'get', '--key', 'memory:x', '--json'] },
    { argv: ['state', 'get', 'NOTES:ENTRY:A'] },
    { argv: ['state', 'get', 'missing:key'] },
    { argv: ['state', 'get'] },
  ] },
  { name: 'set forms', steps: [
    { argv: ['state', 'set', 'k', 'v'] },
    { argv: ['state', 'set', '--key', 'k2', '--value', 'two words'] },
    { argv: ['state', 'set', 'k3', 'v3', '--json'] },
    { argv: ['state', 'set', 'k4', '  padded  '] },
    { argv: ['state', 'set', 'k5', 'a=b=c'] },
    { argv: ['state', 'set', 'k6', 'line one\nline two'] },
    { argv: ['state', 'set', 'k7', 'naïve ☕'] },
    { argv: ['state', 'set', 'k', 'v again'] },
    { argv: ['state', 'set', 'k8', ''] },
    { argv: ['state', 'set', 'onlykey'] },
    { argv: ['state', 'set'] },
    { argv: ['state', 'list'] },
    { argv: ['state', 'get', 'k6'] },
    { argv: ['state', 'get', 'k4', '--json'] },
  ] },
  { name: 'delete forms', steps: [
    set('a', '1'), set('b', '2'), set('c', '3'), set('d', '4'),
    { argv: ['state', 'delete', 'a', 'b'] },
    { argv: ['state', 'delete', 'nope'] },
    { argv: ['state', 'delete', '--key', 'c'] },
    { argv: ['state', 'delete', 'd', '--json'] },
    { argv: ['state', 'delete'] },
    { argv: ['state', 'list'] },
  ] },
  { name: 'LIKE patterns', steps: [
    set('p:50%', 'percent'), set('p:500', 'five hundred'), set('p:a_b', 'underscore'), set('p:axb', 'x'), set('p:ab', 'short'),
    set('p:A_B', 'upper'), set('p:É', 'e acute'), set('p:é', 'e acute lower'), set('q:1', 'other'),
    { argv: ['state', 'list', '--pattern', 'p:50%', '--json'] },
    { argv: ['state', 'list', '--pattern', 'p:a_b'] },
    { argv: ['state', 'list', '--pattern', 'p:a?b'] },
    { argv: ['state', 'list', '--pattern', 'P:5*'] },
    { argv: ['state', 'list', '--pattern', 'p:%'] },
    { argv: ['state', 'list', '--pattern', 'p:_'] },
    { argv: ['state', 'list', '--pattern', 'p:é'] },
    { argv: ['state', 'list', '--pattern', '%'] },
    { argv: ['state', 'list', '--pattern', 'p:a\\_b'] },
  ] },
  { name: 'comma-joined SYNC_PATTERNS', steps: [
    set('a:1', 'one'), set('b:1', 'bee'), set('a:1,b:1', 'a key with a comma'), set('c:1', 'sea'),
    { argv: ['state', 'list', '--pattern', 'a:*,b:*', '--json'], differsOnPurpose: 'SPEC §12: ambrogio joins SYNC_PATTERNS with commas but matches the joined text as one pattern, so a skill with two patterns sees only keys that contain a comma; the shim answers each pattern and the joined text (a superset of ambrogio\'s rows)' },
    { argv: ['state', 'list', '--pattern', 'a:1,b:1'], differsOnPurpose: 'as above' },
    { argv: ['state', 'list', '--pattern', 'a:*'] },
  ] },
  { name: 'usage errors', steps: [
    { argv: ['state'] },
    { argv: ['state', 'frobnicate'] },
    { argv: ['memory'] },
    { argv: ['memory', 'frobnicate'] },
    { argv: ['memory', 'get'] },
    { argv: ['memory', 'search'] },
  ] },
];

// ---------------------------------------------------------------------------------------------------------
// ambrogioctl memory … (what memory-manager's generator calls), on memories stored as ambrogio stores them.

const memory = (type, id, data) => set(`memory:${type}:${id}`, JSON.stringify({ id, type, status: 'active', ...data }));
const MEMORIES = [
  memory('preference', 'mem-2026-01-02-aaaaaaa', { content: 'Prefers answers in Italian', source: 'explicit', confidence: 100, createdAt: '2026-01-02T08:00:00.000Z', updatedAt: '2026-01-05T23:30:00.000Z', tags: ['language', 'style'], context: 'said on day one' }),
  memory('preference', 'mem-2026-01-03-bbbbbbb', { content: 'Uses bun, not npm', source: 'observed', confidence: 80, createdAt: '2026-01-03T08:00:00.000Z', updatedAt: '2026-01-03T08:00:00.000Z', tags: [], context: '' }),
  memory('preference', 'mem-2026-01-04-ccccccc', { content: 'Same confidence, newer', source: 'observed', confidence: 80, createdAt: '2026-01-04T08:00:00.000Z', updatedAt: '2026-01-04T08:00:00.000Z', tags: ['tie'] }),
  memory('fact', 'mem-2026-01-05-ddddddd', { content: 'Home server is 10.0.0.5', source: 'explicit', confidence: 90, createdAt: '2026-01-05T12:00:00.000Z', updatedAt: '2026-01-05T12:00:00.000Z', tags: ['infra'], status: 'deprecated', deprecatedReason: 'moved' }),
  memory('fact', 'mem-2026-01-06-eeeeeee', { content: 'An archived fact', source: 'explicit', confidence: 100, createdAt: '2026-01-06T12:00:00.000Z', updatedAt: '2026-01-06T12:00:00.000Z', status: 'archived' }),
  memory('pattern', 'mem-2026-01-07-fffffff', { content: 'Forgets to run the tests before pushing; a long content line that goes on beyond sixty characters', source: 'inferred', confidence: 60, createdAt: '2026-01-07T00:30:00.000Z', updatedAt: '2026-01-07T00:30:00.000Z', tags: ['habit'] }),
  set('memory:fact:mem-broken', 'not json'),
  set('memory:other:mem-2026-01-08-ggggggg', JSON.stringify({ id: 'mem-2026-01-08-ggggggg', content: 'Unknown type', confidence: 50, status: 'active', createdAt: '2026-01-08T00:00:00.000Z', updatedAt: '2026-01-08T00:00:00.000Z' })),
  set('notes:entry:1', '{"type":"log","title":"not a memory"}'),
];

const MEMORY_SCENARIOS = [
  { name: 'memory on an empty store', steps: [
    { argv: ['memory', 'list'] },
    { argv: ['memory', 'sync', '--output', '$TMP/out/MEMORY.md'], outputFile: '$TMP/out/MEMORY.md' },
    { argv: ['memory', 'search', '--query', 'x'] },
  ] },
  { name: 'memory reads and sync', steps: [
    ...MEMORIES,
    { argv: ['memory', 'list'] },
    { argv: ['memory', 'list', '--type', 'fact'] },
    { argv: ['memory', 'list', '--json', '--type', 'pattern'] },
    { argv: ['memory', 'get', '--type', 'preference', '--id', 'mem-2026-01-02-aaaaaaa'] },
    { argv: ['memory', 'get', '--type', 'fact', '--id', 'mem-2026-01-05-ddddddd', '--json'] },
    { argv: ['memory', 'get', '--type', 'fact', '--id', 'nope'] },
    { argv: ['memory', 'search', '--query', 'BUN'] },
    { argv: ['memory', 'search', '--query', 'infra'] },
    { argv: ['memory', 'search', '--query', 'zzz'] },
    { argv: ['memory', 'sync', '--output', '$TMP/out/MEMORY.md'], outputFile: '$TMP/out/MEMORY.md' },
    { argv: ['memory', 'sync', '--output', '$TMP/out/MEMORY-kiritimati.md'], outputFile: '$TMP/out/MEMORY-kiritimati.md', env: { TZ: 'Pacific/Kiritimati' } },
    { argv: ['memory', 'sync', '--output', '$TMP/out/MEMORY-la.md'], outputFile: '$TMP/out/MEMORY-la.md', env: { TZ: 'America/Los_Angeles', LANG: 'it_IT.UTF-8' } },
    { argv: ['memory', 'sync'], env: { DATA_ROOT: '$TMP/dataroot' }, outputFile: '$TMP/dataroot/MEMORY.md' },
  ] },
];

async function recordCtl(scenarios) {
  const recorded = [];
  for (const s of scenarios) {
    const tmp = tempDir();
    fs.mkdirSync(path.join(tmp, 'out'));
    fs.mkdirSync(path.join(tmp, 'dataroot'));
    const server = await startServer(tmp);
    const steps = [];
    try {
      for (const step of s.steps) {
        const expand = (v) => v.split('$TMP').join(tmp);
        const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)]));
        const r = ctl(tmp, step.argv.map(expand), env);
        const rec = { ...step, ...r };
        if (step.outputFile) rec.output = fs.readFileSync(expand(step.outputFile), 'utf8');
        steps.push(rec);
      }
    } finally {
      await server.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    recorded.push({ name: s.name, steps });
  }
  return recorded;
}

// ---------------------------------------------------------------------------------------------------------
// Generators: ambrogio's own `ambrogioctl sync generate --skill X` runs the real skills; the outputs it wrote
// are what our runner must write from the same state.

const note = (n, data) => set(`notes:entry:${n}`, JSON.stringify(data));
const NOTES = [
  note('001', { type: 'project', title: 'SkillMeat Sync', status: 'active', tags: ['vscode', 'sync'], project: 'smsync', body: 'Ship the generators.', created_at: '2026-01-10T09:00:00Z' }),
  note('002', { type: 'decision', title: 'Use sql.js', body: 'No native modules in the extension.', created_at: '2026-01-11T09:00:00Z' }),
  note('003', { type: 'log', title: 'Recorded ambrogio', status: 'done', body: 'Outputs compared byte for byte.\nTwo lines.', created_at: '2026-01-12T09:00:00Z' }),
  note('004', { type: 'log', title: 'Older log', body: '', created_at: '2026-01-01T09:00:00Z' }),
  note('005', { type: 'other', title: 'Not rendered (type other)', created_at: '2026-01-13T09:00:00Z' }),
  note('006', { type: 'project', title: 'Ünïcode ☕', tags: [], created_at: '2026-01-09T09:00:00Z' }),
  set('notes:entry:007', 'not json'),
  set('notes:other', '{"type":"log","title":"outside the pattern"}'),
];

const GENERATOR_SCENARIOS = [
  { name: 'memory-manager', skill: 'memory-manager', seeds: MEMORIES },
  { name: 'memory-manager, no memories', skill: 'memory-manager', seeds: [] },
  { name: 'structured-notes', skill: 'structured-notes', seeds: NOTES },
  { name: 'structured-notes, no notes', skill: 'structured-notes', seeds: [] },
];

/** Small skills that show ambrogio's runner contract: what it accepts and what it writes. */
const CONTRACT_SKILLS = {
  'empty-output': { manifest: { version: '1', outputFile: '/data/EMPTY.md', patterns: ['todo:*'], generator: './sync.sh' }, script: '#!/bin/sh\n: > "$SYNC_OUTPUT_FILE"\n' },
  'reads-output': { manifest: { version: '1', outputFile: '/data/LOG.md', patterns: ['log:*'], generator: './sync.sh' }, script: '#!/bin/sh\necho "run" >> "$SYNC_OUTPUT_FILE"\n', before: 'previous line\n' },
  'unknown-field': { manifest: { version: '1', outputFile: '/data/U.md', patterns: ['u:*'], generator: './sync.sh', schedule: 'hourly' }, script: '#!/bin/sh\necho ok > "$SYNC_OUTPUT_FILE"\n' },
  'generator-outside': { manifest: { version: '1', outputFile: '/data/O.md', patterns: ['o:*'], generator: '../shared-generator.sh' }, script: null },
  'relative-output': { manifest: { version: '1', outputFile: 'R.md', patterns: ['r:*'], generator: './sync.sh' }, script: '#!/bin/sh\necho ok > "$SYNC_OUTPUT_FILE"\n' },
};

function copySkill(name, dest, tmp) {
  const from = path.join(SRC, 'skills', name);
  fs.mkdirSync(path.join(dest, 'scripts'), { recursive: true });
  fs.copyFileSync(path.join(from, 'scripts', 'sync.sh'), path.join(dest, 'scripts', 'sync.sh'));
  fs.chmodSync(path.join(dest, 'scripts', 'sync.sh'), 0o755);
  const manifest = fs.readFileSync(path.join(from, 'SYNC.json'), 'utf8');
  fs.writeFileSync(path.join(dest, 'SYNC.json'), manifest.split('"/data/').join(`"${tmp}/data/`));
  return manifest;
}

async function recordGenerators() {
  const recorded = [];
  for (const g of GENERATOR_SCENARIOS) {
    const tmp = tempDir();
    fs.mkdirSync(path.join(tmp, 'data'));
    const server = await startServer(tmp);
    try {
      for (const s of g.seeds) ctl(tmp, s.argv);
      const skills = path.join(tmp, 'skills');
      copySkill(g.skill, path.join(skills, g.skill), tmp);
      const r = ctl(tmp, ['sync', 'generate', '--skill', g.skill], { SKILLS_DIRS: skills });
      const outputName = g.skill === 'memory-manager' ? 'MEMORY.md' : 'NOTES.md';
      const file = `${g.name.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '')}.${outputName}`;
      fs.copyFileSync(path.join(tmp, 'data', outputName), path.join(out, 'outputs', file));
      recorded.push({ name: g.name, skill: g.skill, seeds: g.seeds.map((s) => s.argv.slice(2)), ambrogio: r, outputFile: `/data/${outputName}`, recordedOutput: `outputs/${file}` });
    } finally {
      await server.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return recorded;
}

async function recordContract() {
  const recorded = [];
  const tmp = tempDir();
  fs.mkdirSync(path.join(tmp, 'data'));
  const server = await startServer(tmp);
  try {
    const skills = path.join(tmp, 'skills');
    fs.mkdirSync(skills);
    fs.writeFileSync(path.join(skills, 'shared-generator.sh'), '#!/bin/sh\necho shared > "$SYNC_OUTPUT_FILE"\n', { mode: 0o755 });
    for (const [name, s] of Object.entries(CONTRACT_SKILLS)) {
      const dir = path.join(skills, name);
      fs.mkdirSync(dir);
      const manifest = JSON.parse(JSON.stringify(s.manifest).split('"/data/').join(`"${tmp}/data/`));
      fs.writeFileSync(path.join(dir, 'SYNC.json'), JSON.stringify(manifest, null, 2));
      if (s.script) fs.writeFileSync(path.join(dir, 'sync.sh'), s.script, { mode: 0o755 });
      const target = path.isAbsolute(manifest.outputFile) ? manifest.outputFile : undefined;
      if (s.before && target) fs.writeFileSync(target, s.before);
      const validate = ctl(tmp, ['sync', 'validate', '--skill', name], { SKILLS_DIRS: skills });
      const generate = ctl(tmp, ['sync', 'generate', '--skill', name], { SKILLS_DIRS: skills });
      let output = null;
      if (target && fs.existsSync(target)) output = fs.readFileSync(target, 'utf8');
      recorded.push({ name, manifest: s.manifest, script: s.script, before: s.before ?? null, validate, generate, output });
    }
  } finally {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return recorded;
}

function git(args) {
  const r = spawnSync('git', args, { cwd: SRC, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const bunVersion = spawnSync(BUN, ['--version'], { encoding: 'utf8' }).stdout.trim();
const origin = { ambrogio: 'github.com/danitrap/ambrogio-agent', commit: process.env.AMBROGIO_COMMIT || git(['rev-parse', 'HEAD']), bun: bunVersion };

fs.mkdirSync(path.join(out, 'outputs'), { recursive: true });
const write = (name, value) => fs.writeFileSync(path.join(out, name), `${JSON.stringify(value, null, 2)}\n`);
write('ambrogioctl.json', { origin, scenarios: await recordCtl([...STATE_SCENARIOS, ...MEMORY_SCENARIOS]) });
write('generators.json', { origin, scenarios: await recordGenerators() });
write('contract.json', { origin, skills: await recordContract() });
for (const skill of ['memory-manager', 'structured-notes']) {
  const dest = path.join(out, 'skills', skill);
  fs.mkdirSync(path.join(dest, 'scripts'), { recursive: true });
  fs.copyFileSync(path.join(SRC, 'skills', skill, 'SYNC.json'), path.join(dest, 'SYNC.json'));
  fs.copyFileSync(path.join(SRC, 'skills', skill, 'scripts', 'sync.sh'), path.join(dest, 'scripts', 'sync.sh'));
  fs.chmodSync(path.join(dest, 'scripts', 'sync.sh'), 0o755);
}
process.stdout.write(`recorded into ${path.relative(repo, out)} (ambrogio ${origin.commit ?? 'unknown commit'}, bun ${bunVersion})\n`);
