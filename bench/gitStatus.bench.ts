// What a collection on git adds to a drift check (issue 16): a team collection of 1 000 skills cloned from a bare
// remote that got one commit changing 10 of them. Reports the median time of reading the collection's git state
// (`git status` of its folder), of the whole git part of a check while the collection is behind (status, the
// upstream comparison: diff-tree, ls-tree, cat-file --batch), of the same with the extension's cache (the git
// state re-read, the comparison remembered per commit pair) and with a valid cache (a save in the project).
//
//   node --import tsx bench/gitStatus.bench.ts          (GIT_BENCH_SKILLS=200 for a quick run)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { addCollectionGit, CollectionGitCache, readCollectionGit } from '../src/core/git/collectionGit';
import { ArtifactHasher } from '../src/core/drift/hashing';
import type { ArtifactDrift, DriftReport } from '../src/core/model';

type Report = (label: string, value: number, unit: string) => void;

const SKILLS = Number(process.env.GIT_BENCH_SKILLS ?? 1000);
const CHANGED = 10;

async function median(n: number, f: () => Promise<unknown>): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    ts.push(performance.now() - t);
  }
  return ts.sort((a, b) => a - b)[n >> 1];
}

export async function run(report: Report): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-gitbench-'));
  try {
    // No system or global git config of this machine: a private HOME and an empty global config.
    const home = path.join(base, 'home');
    fs.mkdirSync(home);
    fs.writeFileSync(path.join(home, 'gitconfig'), '');
    const env = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig') };
    const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
    const remote = path.join(base, 'team.git');
    fs.mkdirSync(remote);
    git(remote, 'init', '--quiet', '--bare', '--initial-branch=main');
    const mate = path.join(base, 'mate');
    fs.mkdirSync(mate);
    git(mate, 'init', '--quiet', '--initial-branch=main');
    git(mate, 'config', 'user.name', 'mate');
    git(mate, 'config', 'user.email', 'mate@example.com');
    for (let i = 0; i < SKILLS; i++) {
      const d = path.join(mate, 'skills', `s${i}`);
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, 'SKILL.md'), `---\nname: s${i}\n---\n\n${'A line of guidance.\n'.repeat(100)}`);
      fs.writeFileSync(path.join(d, 'reference.md'), `reference ${i}\n`);
    }
    git(mate, 'add', '-A');
    git(mate, 'commit', '--quiet', '-m', 'collection');
    git(mate, 'remote', 'add', 'origin', remote);
    git(mate, 'push', '--quiet', '-u', 'origin', 'main');
    const collection = path.join(base, 'collection');
    git(base, 'clone', '--quiet', remote, collection);
    for (let i = 0; i < CHANGED; i++) fs.appendFileSync(path.join(mate, 'skills', `s${i * 7}`, 'SKILL.md'), 'One more line.\n');
    git(mate, 'commit', '--quiet', '-am', 'ten skills');
    git(mate, 'push', '--quiet');
    git(collection, 'fetch', '--quiet');

    // A drift report of the collection's skills, all in sync (what checkDrift gives before the git part).
    const hasher = new ArtifactHasher();
    const artifacts: ArtifactDrift[] = Array.from({ length: SKILLS }, (_, i) => {
      const p = path.join(collection, 'skills', `s${i}`);
      const h = hasher.hash(p)!.tree;
      return {
        type: 'skill', name: `s${i}`, root: '.claude', state: 'in-sync', collectionHash: h, projectHash: h, baselineHash: h, recommendation: '',
        relPath: `skills/s${i}`, projectPath: p, collectionPath: p, collectionName: 'default',
      };
    });
    const fresh = (): DriftReport => ({
      project: base, collections: [{ name: 'default', path: collection, reachable: true }], artifacts: artifacts.map((a) => ({ ...a })),
      unmanaged: [], warnings: [], errors: [], checkedAt: '', durationMs: 0,
    });
    const probe = fresh();
    await addCollectionGit(probe, { env });
    const outdated = probe.artifacts.filter((a) => a.state === 'outdated').length;
    if (outdated !== CHANGED) throw new Error(`expected ${CHANGED} outdated skills, got ${outdated}`);

    report(`git status of a collection of ${SKILLS} skills (median of 20)`, await median(20, () => readCollectionGit(collection, { env })), 'ms');
    report(`git part of a check, collection 1 behind, ${CHANGED} skills changed upstream, no cache (median of 20)`, await median(20, () => addCollectionGit(fresh(), { env })), 'ms');
    const cache = new CollectionGitCache();
    report('the same with the extension\'s cache invalidated (status re-read, comparison remembered) (median of 20)',
      await median(20, async () => { cache.invalidate(); await addCollectionGit(fresh(), { env, cache }); }), 'ms');
    report('the same with a valid cache: a check after a save in the project (median of 100)', await median(100, () => addCollectionGit(fresh(), { env, cache })), 'ms');
    const plain = path.join(base, 'plain');
    fs.mkdirSync(plain);
    report('a collection outside any repository (no git process) (median of 100)', await median(100, () => readCollectionGit(plain, { env })), 'ms');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

if (require.main === module) void run((l, v, u) => console.log(`${l}: ${v.toFixed(2)} ${u}`));
