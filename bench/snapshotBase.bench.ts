// Finding a merge base in SkillMeat's snapshots (issue 16): a collection of SKILLS skills snapshotted SNAPSHOTS
// times (one skill edited between snapshots, as deploys do), and a record whose baseline is only in the oldest
// snapshot — the worst case: every tarball within the cap is indexed before the match. Reports the cold query
// (index every tarball, then take the skill out), the warm one in the same process (index in memory), the warm one
// in a new process (index read from $SKILLMEAT_HOME/sync/snapshot-index), and the sizes involved.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeSkillmeatSnapshot } from '../src/core/store/skillmeatSnapshot';
import { SkillmeatSnapshotBaseFinder, SnapshotIndexCache, SNAPSHOT_INDEX_DIR, MAX_SNAPSHOTS_PER_QUERY } from '../src/core/store/skillmeatSnapshotBase';
import { ArtifactHasher, skillmeatHash } from '../src/core/drift/hashing';
import type { BaseQuery } from '../src/core/sync/baseFinders';
import { prng } from './prng';

const SKILLS = 300;
const SNAPSHOTS = MAX_SNAPSHOTS_PER_QUERY;

export async function run(report: (label: string, value: number, unit: string) => void): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-sync-bench-snap-'));
  try {
    const rand = prng(16);
    const home = path.join(base, 'home');
    const collection = path.join(home, 'collections', 'default');
    fs.mkdirSync(collection, { recursive: true });
    fs.writeFileSync(path.join(home, 'config.toml'), '[settings]\ndefault-collection = "default"\n');
    const text = (n: number) => Array.from({ length: n }, () => `line ${Math.floor(rand() * 1e12).toString(36)} of a skill's instructions`).join('\n') + '\n';
    for (let i = 0; i < SKILLS; i++) {
      const dir = path.join(collection, 'skills', `skill-${i}`);
      fs.mkdirSync(path.join(dir, 'ref'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'SKILL.md'), `---\nname: skill-${i}\n---\n${text(30)}`);
      fs.writeFileSync(path.join(dir, 'ref', 'guide.md'), text(20));
      fs.writeFileSync(path.join(dir, 'notes.md'), text(10));
    }
    const target = path.join(collection, 'skills', 'skill-0');
    const hash = skillmeatHash(target)!;
    let at = Date.UTC(2026, 10, 1);
    let tarBytes = 0;
    for (let s = 0; s < SNAPSHOTS; s++) {
      const w = (await writeSkillmeatSnapshot(collection, `Auto-deploy: skill-${s}`, new Date((at += 60_000))))!;
      tarBytes += fs.statSync(w.tarball).size;
      fs.appendFileSync(path.join(collection, 'skills', `skill-${s}`, 'SKILL.md'), `edited after snapshot ${s}\n`);
    }
    const env = { SKILLMEAT_HOME: home };
    const q: BaseQuery = { type: 'skill', name: 'skill-0', relPath: 'skills/skill-0', kind: 'dir', collectionDir: collection, collectionName: 'default', contentHash: hash, record: {} };
    const cacheDir = path.join(home, 'sync', SNAPSHOT_INDEX_DIR);
    const cache = new SnapshotIndexCache(cacheDir);
    const timed = async (finder: SkillmeatSnapshotBaseFinder) => {
      const t0 = performance.now();
      const found = await finder.find(q, new ArtifactHasher());
      if (!found) throw new Error('the base was not found');
      return { ms: performance.now() - t0, read: finder.tarballsRead };
    };
    const cold = await timed(new SkillmeatSnapshotBaseFinder({ env, cache }));
    const warm = await timed(new SkillmeatSnapshotBaseFinder({ env, cache }));
    const persisted = await timed(new SkillmeatSnapshotBaseFinder({ env, cache: new SnapshotIndexCache(cacheDir) }));
    report(`collection: ${SKILLS} skills × 3 files, ${SNAPSHOTS} snapshots`, tarBytes / SNAPSHOTS / 1024, 'KiB per tarball (gzip)');
    report('cold query (base in the oldest snapshot: all indexed)', cold.ms, 'ms');
    report('  tarballs read', cold.read, 'tarballs');
    report('warm query, same process (index in memory)', warm.ms, 'ms');
    report('  tarballs read', warm.read, 'tarballs');
    report('warm query, new process (index from disk)', persisted.ms, 'ms');
    report('  tarballs read', persisted.read, 'tarballs');
    report('persisted index', fs.statSync(path.join(cacheDir, 'v1.json')).size / 1024, 'KiB');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
