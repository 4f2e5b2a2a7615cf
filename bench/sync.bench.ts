// Sync throughput (issue 4): `pull --strategy merge` of 100 deployed skills whose merges are all clean —
// once with only the project edited (the merge takes the project side), once with both sides edited in
// different places (a real three-way merge per artifact) — and `undo` of the whole pull. Each skill has a
// SKILL.md, a 200-line reference and a script; the collection has a SkillMeat collection.lock. Everything
// the product does is timed: drift check, reading both sides, merging, storing the replaced versions,
// writing both sides, the records and the lock, and the undo journal.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { deployArtifact } from '../src/core/sync/deploy';
import { VersionStore } from '../src/core/store/versionStore';
import { runSync, undoLastSync } from '../src/core/sync';
import { skillmeatHash } from '../src/core/drift/hashing';

const ARTIFACTS = 100;
const REFERENCE_LINES = 200;

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function replaceLine(file: string, lineNo: number, text: string): void {
  const ls = fs.readFileSync(file, 'utf8').split('\n');
  ls[lineNo - 1] = text;
  fs.writeFileSync(file, ls.join('\n'));
}

interface World { base: string; home: string; collection: string; project: string; env: NodeJS.ProcessEnv; store: VersionStore; names: string[] }

async function makeWorld(tag: string): Promise<World> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `skillmeat-sync-bench-${tag}-`));
  const home = path.join(base, 'home');
  const collection = path.join(home, 'collections', 'default');
  const project = path.join(base, 'project');
  write(path.join(home, 'config.toml'), '[settings]\ndefault-collection = "default"\n');
  const names = Array.from({ length: ARTIFACTS }, (_, i) => `skill-${String(i).padStart(3, '0')}`);
  const lockEntries: string[] = [];
  for (const n of names) {
    const dir = path.join(collection, 'skills', n);
    write(path.join(dir, 'SKILL.md'), `---\nname: ${n}\ndescription: bench skill ${n}\n---\n\n# ${n}\n\nFollow reference.md.\n`);
    write(path.join(dir, 'reference.md'), Array.from({ length: REFERENCE_LINES }, (_, i) => `${n} reference line ${i + 1}: keep the wording stable.`).join('\n') + '\n');
    write(path.join(dir, 'scripts', 'run.sh'), `#!/bin/sh\necho ${n}\n`);
    lockEntries.push(`[lock.entries."${n}::skill"]\ncontent_hash = "${skillmeatHash(dir)}"\nfetched = "2026-01-02T03:04:05.123456"\n`);
  }
  write(path.join(collection, 'collection.lock'), `[lock]\nversion = "1.0.0"\n\n${lockEntries.join('\n')}`);
  fs.mkdirSync(project, { recursive: true });
  const store = await VersionStore.open(path.join(home, 'sync'));
  for (const n of names) await deployArtifact({ project, collectionPath: collection, collectionName: 'default', type: 'skill', name: n, store });
  return { base, home, collection, project, env: { SKILLMEAT_HOME: home }, store, names };
}

function dispose(w: World): void {
  w.store.close();
  fs.rmSync(w.base, { recursive: true, force: true });
}

async function timedPull(w: World): Promise<number> {
  const t0 = performance.now();
  const r = await runSync({ project: w.project, env: w.env, store: w.store, direction: 'pull', strategy: 'merge' });
  const ms = performance.now() - t0;
  const synced = r.artifacts.filter((a) => a.status === 'synced').length;
  if (r.status !== 'success' || synced !== ARTIFACTS) throw new Error(`expected ${ARTIFACTS} clean merges, got ${r.status}: ${synced} synced (${r.error?.message ?? ''})`);
  return ms;
}

/** Runs the sync bench; `report(label, value, unit)` receives each figure. */
export async function run(report: (label: string, value: number, unit: string) => void): Promise<void> {
  const modified = await makeWorld('modified');
  try {
    for (const n of modified.names) replaceLine(path.join(modified.project, '.claude', 'skills', n, 'reference.md'), 20, `${n}: edited in the project`);
    const ms = await timedPull(modified);
    report(`pull --strategy merge, ${ARTIFACTS} modified skills`, ms, 'ms');
    report('  per artifact', ms / ARTIFACTS, 'ms');
    const t0 = performance.now();
    const u = await undoLastSync({ project: modified.project, store: modified.store });
    if (u.status !== 'undone') throw new Error(`undo: ${u.status} ${u.error?.message ?? ''}`);
    report(`undo of that pull (${ARTIFACTS} skills)`, performance.now() - t0, 'ms');
  } finally { dispose(modified); }

  const both = await makeWorld('conflict');
  try {
    for (const n of both.names) {
      replaceLine(path.join(both.project, '.claude', 'skills', n, 'reference.md'), 20, `${n}: edited in the project`);
      replaceLine(path.join(both.collection, 'skills', n, 'reference.md'), 150, `${n}: edited in the collection`);
    }
    const ms = await timedPull(both);
    report(`pull --strategy merge, ${ARTIFACTS} skills edited on both sides (clean 3-way)`, ms, 'ms');
    report('  per artifact', ms / ARTIFACTS, 'ms');
  } finally { dispose(both); }
}

if (require.main === module) {
  void run((label, value, unit) => console.log(`${label}: ${Number.isInteger(value) ? value : value.toFixed(2)} ${unit}`));
}
