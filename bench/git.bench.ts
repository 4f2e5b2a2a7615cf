// Finding a merge base in a collection's git history (issue 16): a repository of 5 000 commits that all change one
// skill (a SKILL.md of 200 lines and a few reference files, each commit one line), written with `git fast-import`
// so the bench spends its time searching, not committing. The record names the oldest version: the worst case,
// every version has to be read and hashed. A second search runs on the cache (git objects never change).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_EXCLUSIONS, skillmeatHashOf } from '../src/core/drift/hashing';
import { findBaseInHistory, type GitBaseStats } from '../src/core/git/historyBase';

const COMMITS = 5000;
const LINES = 200;

/** The skill's files after commit `k` (0-based): line (k mod 200) of SKILL.md says which commit wrote it last. */
function filesAt(k: number, lines: string[]): Record<string, string> {
  lines[k % LINES] = `line ${k % LINES}: revised in commit ${k}`;
  return {
    'SKILL.md': `---\nname: review\ndescription: bench\n---\n\n${lines.join('\n')}\n`,
    'ref/guide.md': `# Guide\n\n${'Read the diff carefully.\n'.repeat(40)}`,
    'ref/checklist.md': `# Checklist\n\n${Array.from({ length: 30 }, (_, i) => `- item ${i}`).join('\n')}\n`,
  };
}

function fastImportStream(): { stream: string; oldest: Record<string, string> } {
  const lines = Array.from({ length: LINES }, (_, i) => `line ${i}`);
  const parts: string[] = [];
  let oldest: Record<string, string> | undefined;
  for (let k = 0; k < COMMITS; k++) {
    const files = filesAt(k, lines);
    oldest ??= { ...files };
    const msg = `Edit review (${k})`;
    parts.push(`commit refs/heads/main\ncommitter Bench <bench@example.com> ${1_700_000_000 + k * 60} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}\n`);
    // only the file that changes (and everything in the first commit)
    for (const [rel, text] of Object.entries(files)) {
      if (k > 0 && rel !== 'SKILL.md') continue;
      parts.push(`M 100644 inline skills/review/${rel}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
    }
  }
  return { stream: parts.join(''), oldest: oldest! };
}

export async function run(report: (label: string, value: number, unit: string) => void): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'smsync-bench-git-'));
  try {
    const repo = path.join(base, 'collection');
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: path.join(base, 'gitconfig'), HOME: base };
    fs.writeFileSync(path.join(base, 'gitconfig'), '');
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', repo], { env });
    const { stream, oldest } = fastImportStream();
    let t = performance.now();
    execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, env, input: stream, maxBuffer: 1 << 28 });
    execFileSync('git', ['reset', '--quiet', '--hard', 'main'], { cwd: repo, env });
    report(`history of ${COMMITS} commits written (fast-import)`, performance.now() - t, 'ms');

    const contentHash = skillmeatHashOf(Object.entries(oldest).map(([rel, text]) => ({ rel, data: Buffer.from(text) })), 'dir');
    const q = { type: 'skill' as const, name: 'review', relPath: 'skills/review', kind: 'dir' as const, collectionDir: repo, collectionName: 'bench', contentHash, record: {} };
    const cacheDir = path.join(base, 'cache');
    const cold: GitBaseStats = { commits: 0, versions: 0, hashed: 0, processes: 0 };
    t = performance.now();
    const found = await findBaseInHistory(q, DEFAULT_EXCLUSIONS, { env, cacheDir }, cold);
    const coldMs = performance.now() - t;
    if (!found) throw new Error('the oldest version was not found');
    report(`base in ${cold.commits}-commit history, oldest version (cold: ${cold.versions} versions hashed)`, coldMs, 'ms');
    report('  per version, cold', coldMs / cold.versions, 'ms');
    report('  git processes, cold', cold.processes, 'count');
    const warm: GitBaseStats = { commits: 0, versions: 0, hashed: 0, processes: 0 };
    t = performance.now();
    await findBaseInHistory(q, DEFAULT_EXCLUSIONS, { env, cacheDir }, warm);
    const warmMs = performance.now() - t;
    report(`same search, cached (${warm.hashed} hashed)`, warmMs, 'ms');
    report('  cold / cached', coldMs / warmMs, 'x');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
