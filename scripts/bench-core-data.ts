// Generates the data of bench/core.bench.ts: a SkillMeat home whose default collection holds 1 000
// artifacts (~10 000 files: skills, commands — some namespaced — and agents), a project they are all
// deployed into (records exactly as `deploy` writes them), and one 100 MB artifact kept apart.
//
//   npx tsx scripts/bench-core-data.ts DIR     (keeps the data, e.g. to profile a check with --cpu-prof)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildRecord, copyArtifact } from '../src/core/sync/deploy';
import { serializeRecords, RECORDS_FILE, type DeploymentRecord } from '../src/core/store/deploymentRecords';
import { writeFileAtomic } from '../src/core/store/fsutil';
import { ArtifactHasher } from '../src/core/drift/hashing';
import { artifactPath } from '../src/core/drift/discovery';
import type { ArtifactType } from '../src/core/model';
import { prng } from '../bench/prng';

export const SKILLS = 600;
export const FILES_PER_SKILL = 16;
export const COMMANDS = 250;
export const AGENTS = 150;
export const BIG_BYTES = 100 * 1024 * 1024;

export interface CoreBenchData {
  home: string;
  collection: string;
  project: string;
  /** Directory of the 100 MB artifact (a skill with one large file). */
  bigSkill: string;
  bigFile: string;
  artifacts: number;
  files: number;
  bytes: number;
}


const WORDS = 'the skill reads a diff and lists bugs risks tests naming for each change check error paths then write a short summary with links'.split(' ');

/** Markdown-like text of about `bytes` bytes, LF line endings. */
export function text(rand: () => number, bytes: number): string {
  const lines: string[] = [];
  let n = 0;
  while (n < bytes) {
    const words = 4 + Math.floor(rand() * 12);
    let line = '';
    for (let i = 0; i < words; i++) line += (i ? ' ' : '') + WORDS[Math.floor(rand() * WORDS.length)];
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

/** 100 MB of text lines (LF, or CRLF when `crlf`) built from a repeated random block, written in pieces. */
export function writeBigText(file: string, bytes: number, crlf = false): void {
  const block = Buffer.from(text(prng(7), 1 << 20).replace(/\n/g, crlf ? '\r\n' : '\n'));
  const fd = fs.openSync(file, 'w');
  try {
    let left = bytes;
    while (left > 0) {
      const n = Math.min(left, block.length);
      fs.writeSync(fd, block, 0, n);
      left -= n;
    }
  } finally { fs.closeSync(fd); }
}

/**
 * Deploys every artifact into `<project>/.claude` the way deployArtifact does (copy as SkillMeat copies, SkillMeat
 * hash of the copy, our tree hash), but writes all the records in one go instead of one rewrite of a growing file
 * per artifact (a fresh project: the product's writers re-read it under its lock). Returns the profile root.
 */
export function deployAll(collection: string, project: string, artifacts: readonly { type: ArtifactType; name: string }[]): string {
  const rootDir = path.join(project, '.claude');
  const hasher = new ArtifactHasher();
  const at = new Date('2026-01-01T00:00:00Z');
  const records: DeploymentRecord[] = [];
  for (const a of artifacts) {
    const src = artifactPath(collection, a.type, a.name);
    const dst = artifactPath(rootDir, a.type, a.name);
    copyArtifact(src.absPath, dst.absPath);
    const h = hasher.hash(dst.absPath, { skillmeat: true })!;
    records.push(buildRecord(undefined, { type: a.type, name: a.name, relPath: dst.relPath, root: '.claude', collectionName: 'default', contentHash: h.skillmeat!.all, treeHash: h.tree, at }));
  }
  writeFileAtomic(path.join(rootDir, RECORDS_FILE), serializeRecords({ path: path.join(rootDir, RECORDS_FILE), exists: false, preamble: '', records, chunked: true }));
  return rootDir;
}

/** Generates everything under `dir` (which must be empty or absent). */
export function generateCoreBenchData(dir: string): CoreBenchData {
  const rand = prng(2);
  const home = path.join(dir, 'home');
  const collection = path.join(home, 'collections', 'default');
  const project = path.join(dir, 'project');
  fs.mkdirSync(collection, { recursive: true });
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(path.join(home, 'config.toml'), '[settings]\ndefault-collection = "default"\n');
  let files = 0;
  let bytes = 0;
  const write = (p: string, s: string): void => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, s);
    files++;
    bytes += Buffer.byteLength(s);
  };
  const size = () => 300 + Math.floor(rand() * rand() * 8000);
  const artifacts: { type: ArtifactType; name: string }[] = [];
  for (let i = 0; i < SKILLS; i++) {
    const name = `skill-${String(i).padStart(4, '0')}`;
    const dirOf = path.join(collection, 'skills', name);
    write(path.join(dirOf, 'SKILL.md'), `---\nname: ${name}\ndescription: generated skill ${i}\n---\n\n` + text(rand, size()));
    for (let f = 1; f < FILES_PER_SKILL; f++) {
      const sub = f % 4 === 0 ? 'scripts' : f % 3 === 0 ? 'examples' : 'references';
      write(path.join(dirOf, sub, `part-${f}.md`), text(rand, size()));
    }
    artifacts.push({ type: 'skill', name });
  }
  for (let i = 0; i < COMMANDS; i++) {
    const name = i % 5 === 0 ? `ns-${i % 7}/command-${i}` : `command-${i}`;
    write(path.join(collection, 'commands', `${name}.md`), `---\ndescription: command ${i}\n---\n\n` + text(rand, size()));
    artifacts.push({ type: 'command', name });
  }
  for (let i = 0; i < AGENTS; i++) {
    const name = `agent-${i}`;
    write(path.join(collection, 'agents', `${name}.md`), `---\nname: ${name}\ndescription: agent ${i}\n---\n\n` + text(rand, size()));
    artifacts.push({ type: 'agent', name });
  }

  deployAll(collection, project, artifacts);

  const bigSkill = path.join(dir, 'big', 'skills', 'huge-dataset');
  fs.mkdirSync(bigSkill, { recursive: true });
  fs.writeFileSync(path.join(bigSkill, 'SKILL.md'), '---\nname: huge-dataset\ndescription: a skill carrying a large data file\n---\n');
  const bigFile = path.join(bigSkill, 'data.txt');
  writeBigText(bigFile, BIG_BYTES);
  return { home, collection, project, bigSkill, bigFile, artifacts: artifacts.length, files, bytes };
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) { console.error('usage: npx tsx scripts/bench-core-data.ts DIR'); process.exit(2); }
  const d = generateCoreBenchData(path.resolve(dir));
  console.log(`${d.artifacts} artifacts, ${d.files} files (${(d.bytes / 1e6).toFixed(1)} MB) in ${d.collection}, deployed into ${d.project}; 100 MB artifact at ${d.bigSkill}`);
}
