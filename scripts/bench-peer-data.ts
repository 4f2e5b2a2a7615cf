// Generates the data of bench/peer.bench.ts (issue 13): a HOME whose ~/.skillmeat holds a default collection of
// 1 000 skills (10 files each) + 50 commands + 50 agents — about 10 000 files and 130 MB a side, 20 000 files in
// all — written the way the real SkillMeat 0.9 lays it out (config.toml, collection.toml), deployed into a
// project with records exactly as `deploy` writes them, then 3 % drifted (half edited in the project, half in
// the collection). Deterministic: the same bytes on every run and machine. `scale` shrinks the set (0.1 = 100
// skills, 5 commands, 5 agents) for quick runs and for the scale curve.
//
//   npx tsx scripts/bench-peer-data.ts DIR [SCALE]     (keeps the data, e.g. to profile a check)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deployAll, text } from './bench-core-data';
import type { ArtifactType } from '../src/core/model';
import { prng } from '../bench/prng';

export interface PeerBenchData {
  /** The HOME to give SkillMeat (it always uses ~/.skillmeat). */
  home: string;
  /** $HOME/.skillmeat: SKILLMEAT_HOME for SkillMeat Sync. */
  skillmeatHome: string;
  collection: string;
  project: string;
  artifacts: number;
  skills: number;
  /** Regular files per side (collection, project). */
  files: number;
  bytes: number;
  /** Artifacts edited after the deploy: in the project, in the collection. */
  modified: string[];
  outdated: string[];
}

/** One block of markdown-like text (LF) every file takes a slice of: generating 130 MB word by word is slow. */
function textBlock(): string {
  return text(prng(13), 1 << 20);
}

/** Generates everything under `dir` (empty or absent). */
export function generatePeerBenchData(dir: string, scale = 1): PeerBenchData {
  const skills = Math.max(1, Math.round(1000 * scale));
  const commands = Math.max(1, Math.round(50 * scale));
  const agents = Math.max(1, Math.round(50 * scale));
  const filesPerSkill = 10;
  const rand = prng(5);
  const block = textBlock();
  const home = path.join(dir, 'home');
  const skillmeatHome = path.join(home, '.skillmeat');
  const collection = path.join(skillmeatHome, 'collections', 'default');
  const project = path.join(dir, 'project');
  fs.mkdirSync(project, { recursive: true });
  for (const d of ['skills', 'commands', 'agents', 'workflows']) fs.mkdirSync(path.join(collection, d), { recursive: true });
  // What `skillmeat init` writes (analytics off: a benchmark should not record usage).
  fs.writeFileSync(path.join(skillmeatHome, 'config.toml'), '[settings]\ndefault-collection = "default"\nupdate-strategy = "prompt"\n\n[analytics]\nenabled = false\nretention-days = 90\n');
  fs.writeFileSync(path.join(collection, 'collection.toml'), 'artifacts = []\n\n[collection]\nname = "default"\nversion = "1.0.0"\ncreated = "2026-01-01T00:00:00"\nupdated = "2026-01-01T00:00:00"\n');
  let files = 0;
  let bytes = 0;
  const text = (size: number): string => {
    const at = Math.floor(rand() * (block.length - size));
    return block.slice(at, at + size);
  };
  // Sizes skewed towards small files with a long tail: ~13 KB on average.
  const size = (): number => 500 + Math.floor(rand() * rand() * rand() * 100_000);
  const write = (p: string, s: string): void => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, s);
    files++;
    bytes += Buffer.byteLength(s);
  };
  const artifacts: { type: ArtifactType; name: string }[] = [];
  for (let i = 0; i < skills; i++) {
    const name = `skill-${String(i).padStart(4, '0')}`;
    const d = path.join(collection, 'skills', name);
    write(path.join(d, 'SKILL.md'), `---\nname: ${name}\ndescription: generated skill ${i}\n---\n\n` + text(size()));
    for (let f = 1; f < filesPerSkill; f++) {
      const sub = f % 4 === 0 ? 'scripts' : f % 3 === 0 ? 'examples' : 'references';
      write(path.join(d, sub, `part-${f}.md`), `# part ${f} of ${name}\n` + text(size()));
    }
    artifacts.push({ type: 'skill', name });
  }
  for (let i = 0; i < commands; i++) {
    const name = `command-${i}`;
    write(path.join(collection, 'commands', `${name}.md`), `---\ndescription: command ${i}\n---\n\n` + text(size()));
    artifacts.push({ type: 'command', name });
  }
  for (let i = 0; i < agents; i++) {
    const name = `agent-${i}`;
    write(path.join(collection, 'agents', `${name}.md`), `---\nname: ${name}\ndescription: agent ${i}\n---\n\n` + text(size()));
    artifacts.push({ type: 'agent', name });
  }

  const rootDir = deployAll(collection, project, artifacts);

  // 3 % drift among the skills: every 33rd skill edited in the project, every 33rd (offset) in the collection.
  const modified: string[] = [];
  const outdated: string[] = [];
  for (let i = 0; i < skills; i++) {
    const name = `skill-${String(i).padStart(4, '0')}`;
    if (i % 66 === 7) { fs.appendFileSync(path.join(rootDir, 'skills', name, 'SKILL.md'), '\nedited in the project\n'); modified.push(name); }
    if (i % 66 === 40) { fs.appendFileSync(path.join(collection, 'skills', name, 'references', 'part-1.md'), '\nedited in the collection\n'); outdated.push(name); }
  }
  return { home, skillmeatHome, collection, project, artifacts: artifacts.length, skills, files, bytes, modified, outdated };
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) { console.error('usage: npx tsx scripts/bench-peer-data.ts DIR [SCALE]'); process.exit(2); }
  const d = generatePeerBenchData(path.resolve(dir), Number(process.argv[3] ?? 1));
  console.log(`${d.artifacts} artifacts, ${d.files} files (${(d.bytes / 1e6).toFixed(1)} MB) a side; HOME=${d.home} SKILLMEAT_HOME=${d.skillmeatHome} project ${d.project}`);
}
