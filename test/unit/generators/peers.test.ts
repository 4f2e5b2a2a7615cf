// The real ambrogio, recorded (scripts/peers/record-ambrogio.sh → test/fixtures/peers/ambrogio), against ours:
// every ambrogioctl form through our port and the shim, its two real generators through our runner, and its
// runner contract. Byte for byte; where we differ on purpose the recording says so and the test checks how.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ambrogioctlCommand } from '../../../src/cli/ambrogioctl';
import { OwnStateStore, ensureAmbrogioctlShim, runGenerator, validateManifest } from '../../../src/core/generators';
import type { RunGeneratorOptions } from '../../../src/core/generators';
import { REPO, captureIO, cleanupTemp, copyDir, tempDir, testCli, testEnv, write } from './helpers';

const PEERS = path.join(REPO, 'test', 'fixtures', 'peers', 'ambrogio');

interface Ran { code: number | null; stdout: string; stderr: string }
interface Step extends Ran {
  argv: string[];
  seed?: boolean;
  env?: Record<string, string>;
  outputFile?: string;
  output?: string;
  differsOnPurpose?: string;
}
interface Scenario { name: string; steps: Step[] }

const ctlRecording = JSON.parse(fs.readFileSync(path.join(PEERS, 'ambrogioctl.json'), 'utf8')) as { scenarios: Scenario[] };
const generatorRecording = JSON.parse(fs.readFileSync(path.join(PEERS, 'generators.json'), 'utf8')) as {
  scenarios: { name: string; skill: string; seeds: [string, string][]; outputFile: string; recordedOutput: string }[];
};
const contract = JSON.parse(fs.readFileSync(path.join(PEERS, 'contract.json'), 'utf8')) as {
  skills: { name: string; manifest: Record<string, unknown>; script: string | null; before: string | null; generate: Ran; output: string | null }[];
};

/** ambrogio's recording clock (scripts/peers/ambrogio-server.mjs): 10:00:00Z, one second more per row written. */
function recordingClock(): () => Date {
  let tick = 0;
  return () => new Date(Date.parse('2026-02-13T10:00:00.000Z') + 1000 * tick++);
}

/** The environment ambrogio was recorded in, with no real ambrogioctl that could answer instead of ours. */
function peerEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = testEnv(home, { TZ: 'UTC', LANG: 'C.UTF-8', ...extra });
  env.PATH = (env.PATH ?? '').split(path.delimiter).filter((d) => d && !fs.existsSync(path.join(d, 'ambrogioctl'))).join(path.delimiter);
  return env;
}

/** A store seeded like the recording: the scenario's seed steps, in order, on ambrogio's recording clock. */
async function seededStore(file: string, seeds: [string, string][]): Promise<OwnStateStore> {
  const store = await OwnStateStore.open(file, { now: recordingClock() });
  for (const [k, v] of seeds) store.set(k, v);
  return store;
}

function shimRun(shimDir: string, argv: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('ambrogioctl', argv, { env: { ...env, PATH: `${env.PATH}${path.delimiter}${shimDir}` } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const rowsOf = (stdout: string): string[] => (JSON.parse(stdout) as { entries: { key: string }[] }).entries.map((e) => e.key);

describe('ambrogioctl: the real one (recorded) and ours print the same', () => {
  afterEach(cleanupTemp);

  for (const scenario of ctlRecording.scenarios) {
    it(scenario.name, async () => {
      const tmp = tempDir('amb');
      const db = path.join(tmp, 'state.db');
      await seededStore(db, scenario.steps.filter((s) => s.seed).map((s) => [s.argv[2], s.argv[3]]));
      const env = peerEnv(path.join(tmp, 'home'), { SKILLMEAT_SYNC_STATE_DB: db, SKILLMEAT_SYNC_STATE_KIND: 'own' });
      fs.mkdirSync(path.join(tmp, 'out'));
      let shimDir: string | undefined;
      for (const step of scenario.steps.filter((s) => !s.seed)) {
        const expand = (v: string): string => v.split('$TMP').join(tmp);
        const argv = step.argv.map(expand);
        let ran: Ran;
        if (step.env) {
          // a time zone or locale of its own: through the shim, in a process of its own
          shimDir ??= ensureAmbrogioctlShim(await testCli(), { path: db, kind: 'own' }, path.join(tmp, 'shim'), env);
          ran = await shimRun(shimDir, argv, { ...env, ...Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, expand(v)])) });
        } else {
          const io = captureIO(tmp, env);
          ran = { code: await ambrogioctlCommand(argv, io), stdout: io.stdout, stderr: io.stderr };
        }
        const ours = { code: ran.code, stdout: ran.stdout.split(tmp).join('$TMP'), stderr: ran.stderr.split(tmp).join('$TMP') };
        const label = `ambrogioctl ${JSON.stringify(step.argv)}`;
        if (step.differsOnPurpose) {
          // comma-joined patterns: ambrogio's rows, plus those of each comma-separated pattern
          assert.equal(ours.code, step.code, label);
          const real = step.stdout.startsWith('{') ? rowsOf(step.stdout) : step.stdout.trim().split('\n').map((l) => l.split('=')[0]);
          const mine = ours.stdout.startsWith('{') ? rowsOf(ours.stdout) : ours.stdout.trim().split('\n').map((l) => l.split('=')[0]);
          for (const k of real) assert.ok(mine.includes(k), `${label}: ${k}, which ambrogio lists, is listed`);
          assert.ok(mine.length > real.length, `${label}: each comma-separated pattern is answered too`);
          continue;
        }
        assert.deepEqual(ours, { code: step.code, stdout: step.stdout, stderr: step.stderr }, label);
        if (step.outputFile) assert.equal(fs.readFileSync(expand(step.outputFile), 'utf8'), step.output, `${label}: the file it wrote`);
      }
    });
  }

  it('prints the same through the shim a generator finds on its PATH (bytes, exit codes)', async () => {
    const scenario = ctlRecording.scenarios.find((s) => s.name === 'list, get and --key') as Scenario;
    const tmp = tempDir('amb');
    const db = path.join(tmp, 'state.db');
    await seededStore(db, scenario.steps.filter((s) => s.seed).map((s) => [s.argv[2], s.argv[3]]));
    const env = peerEnv(path.join(tmp, 'home'));
    const shimDir = ensureAmbrogioctlShim(await testCli(), { path: db, kind: 'own' }, path.join(tmp, 'shim'), env);
    for (const step of scenario.steps.filter((s) => !s.seed && ['list', 'get'].includes(s.argv[1])).slice(0, 4).concat(scenario.steps.filter((s) => s.code === 3))) {
      assert.deepEqual(await shimRun(shimDir, step.argv, env), { code: step.code, stdout: step.stdout, stderr: step.stderr }, JSON.stringify(step.argv));
    }
  });
});

describe('ambrogio\'s real generators under our runner write what ambrogio writes', () => {
  afterEach(cleanupTemp);

  for (const g of generatorRecording.scenarios) {
    it(g.name, async () => {
      const ws = tempDir('ws');
      const home = tempDir('home');
      const dataRoot = tempDir('data');
      copyDir(path.join(PEERS, 'skills', g.skill), path.join(ws, '.claude', 'skills', g.skill));
      const manifest = path.join(ws, '.claude', 'skills', g.skill, 'SYNC.json');
      assert.equal(JSON.parse(fs.readFileSync(manifest, 'utf8')).outputFile, g.outputFile, 'the SYNC.json ambrogio ships, unchanged');
      const store = await seededStore(path.join(home, 'state.db'), g.seeds);
      const opts: RunGeneratorOptions = {
        state: store, shim: await testCli(), isTrusted: () => true, runRecordFile: path.join(home, 'generators.json'), env: peerEnv(home), dataRoot,
      };
      const r = await runGenerator({ file: manifest, workspaceFolder: ws }, opts);
      assert.equal(r.outcome, 'ok', `${r.message}\n${r.stdout}\n${r.stderr}`);
      const output = path.join(dataRoot, path.basename(g.outputFile));
      assert.equal(r.outputPath, output);
      assert.deepEqual(fs.readFileSync(output), fs.readFileSync(path.join(PEERS, g.recordedOutput)), `${output} equals what ambrogio wrote`);
      // and a second run finds the output as it left it: no "edited by hand"
      assert.equal((await runGenerator({ file: manifest, workspaceFolder: ws }, opts)).outcome, 'ok');
    });
  }
});

describe('ambrogio\'s runner contract (recorded) under ours', () => {
  afterEach(cleanupTemp);

  async function runContract(name: string, over: Partial<RunGeneratorOptions> = {}): Promise<{ result: Awaited<ReturnType<typeof runGenerator>>; output: string; ws: string }> {
    const c = contract.skills.find((s) => s.name === name);
    assert.ok(c, name);
    const ws = tempDir('ws');
    const home = tempDir('home');
    const dataRoot = tempDir('data');
    const skills = path.join(ws, '.claude', 'skills');
    write(path.join(skills, name, 'SKILL.md'), `---\nname: ${name}\n---\n`);
    write(path.join(skills, name, 'SYNC.json'), JSON.stringify(c.manifest, null, 2));
    if (c.script) write(path.join(skills, name, 'sync.sh'), c.script, 0o755);
    write(path.join(skills, 'shared-generator.sh'), '#!/bin/sh\necho shared > "$SYNC_OUTPUT_FILE"\n', 0o755);
    const output = path.join(dataRoot, path.basename(String(c.manifest.outputFile)));
    if (c.before) write(output, c.before);
    const opts: RunGeneratorOptions = {
      state: await OwnStateStore.open(path.join(home, 'state.db')), shim: await testCli(), isTrusted: () => true,
      runRecordFile: path.join(home, 'generators.json'), env: peerEnv(home), dataRoot, force: true, ...over,
    };
    return { result: await runGenerator({ file: path.join(skills, name, 'SYNC.json'), workspaceFolder: ws }, opts), output, ws };
  }

  it('an empty output with exit 0 is a result, written as ambrogio writes it', async () => {
    const { result, output } = await runContract('empty-output');
    assert.equal(result.outcome, 'ok', result.message);
    assert.equal(fs.readFileSync(output, 'utf8'), contract.skills.find((s) => s.name === 'empty-output')?.output);
  });

  it('SYNC_OUTPUT_FILE holds the current output, which a generator may read or append to', async () => {
    const { result, output } = await runContract('reads-output');
    assert.equal(result.outcome, 'ok', result.message);
    assert.equal(fs.readFileSync(output, 'utf8'), contract.skills.find((s) => s.name === 'reads-output')?.output);
  });

  it('an unknown field is a warning, and the generator runs as under ambrogio', async () => {
    const { result, output } = await runContract('unknown-field');
    assert.equal(result.outcome, 'ok', result.message);
    assert.equal(fs.readFileSync(output, 'utf8'), contract.skills.find((s) => s.name === 'unknown-field')?.output);
  });

  it('a generator outside the skill is refused naming the setting that allows it; with the setting it runs as under ambrogio', async () => {
    const refused = await runContract('generator-outside');
    assert.equal(refused.result.outcome, 'invalid-manifest');
    assert.match(refused.result.message, /skillmeatSync\.generators\.allowGeneratorsOutsideSkill/);
    assert.match(refused.result.message, /--allow-generator-outside-skill/);
    const allowed = await runContract('generator-outside', { allowGeneratorsOutsideSkill: true });
    assert.equal(allowed.result.outcome, 'ok', allowed.result.message);
    assert.equal(fs.readFileSync(allowed.output, 'utf8'), contract.skills.find((s) => s.name === 'generator-outside')?.output);
  });

  it('a relative outputFile, which ambrogio refuses, is accepted (resolved in the workspace folder)', async () => {
    const recorded = contract.skills.find((s) => s.name === 'relative-output');
    assert.equal(recorded?.generate.code, 3, 'ambrogio: not found, outputFile must be an absolute path');
    const { result, ws } = await runContract('relative-output');
    assert.equal(result.outcome, 'ok', result.message);
    assert.equal(fs.readFileSync(path.join(ws, 'R.md'), 'utf8'), 'ok\n');
  });

  it('ambrogio\'s /data/… outputFile without a data root is refused naming the data root setting', () => {
    const ws = tempDir('ws');
    const skill = path.join(ws, '.claude', 'skills', 'memory-manager');
    copyDir(path.join(PEERS, 'skills', 'memory-manager'), skill);
    const v = validateManifest(path.join(skill, 'SYNC.json'), ws);
    assert.equal(v.valid, false);
    assert.equal(v.errors[0].pointer, '/outputFile');
    assert.match(v.errors[0].fix, /skillmeatSync\.generators\.dataRoot \(CLI: --data-root DIR or DATA_ROOT\)/);
  });
});
