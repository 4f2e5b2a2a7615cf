// `--tool CMD`: an external merge tool for each conflicting text file, the way `git mergetool` runs one. BASE,
// LOCAL and REMOTE are written to temporary files; MERGED is the project's file, already holding the conflict
// markers. CMD runs through the shell; `$BASE $LOCAL $REMOTE $MERGED` in it are replaced by the quoted paths (and
// set in its environment, as git does). Without any of them the four paths are appended in the order
// `code --wait --merge` takes them (VS Code's CLI: `-m, --merge <path1> <path2> <base> <result>`): LOCAL REMOTE BASE
// MERGED. LOCAL is the side the merge writes into (update: the project; pull: the collection), REMOTE the incoming one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { MergeInProgress } from '../core/sync';

const quote = (p: string): string => (process.platform === 'win32' ? `"${p}"` : `'${p.replace(/'/g, `'\\''`)}'`);

/** The shell command line for one file (see the header). */
export function toolCommandLine(cmd: string, files: { BASE: string; LOCAL: string; REMOTE: string; MERGED: string }): string {
  const placeholder = /\$(BASE|LOCAL|REMOTE|MERGED)\b|\$\{(BASE|LOCAL|REMOTE|MERGED)\}/g;
  if (!placeholder.test(cmd)) return [cmd, files.LOCAL, files.REMOTE, files.BASE, files.MERGED].map((x, i) => (i === 0 ? x : quote(x))).join(' ');
  return cmd.replace(placeholder, (_, a?: string, b?: string) => quote(files[(a ?? b) as keyof typeof files]));
}

function run(commandLine: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(commandLine, { shell: true, stdio: 'inherit', env });
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(signal ? 128 : (code ?? 1)));
  });
}

/** What the tool did with one file. */
export interface ToolRun { file: string; exitCode: number; commandLine: string }

/** Runs the tool on every conflicting text file of a merge in progress; binary conflicts are left to the user. */
export async function runMergeTool(cmd: string, m: MergeInProgress, env: NodeJS.ProcessEnv): Promise<ToolRun[]> {
  const pm = m.pending;
  const out: ToolRun[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-mergetool-'));
  try {
    for (const [i, c] of pm.conflicts.entries()) {
      if (c.binary) continue;
      const merged = c.path ? path.join(pm.projectPath, ...c.path.split('/')) : pm.projectPath;
      const base = path.basename(merged);
      const write = (tag: string, data: Buffer | null) => {
        const f = path.join(tmp, `${i}`, `${tag}_${base}`);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, data ?? Buffer.alloc(0));
        return f;
      };
      const files = { BASE: write('BASE', c.base), LOCAL: write('LOCAL', c.ours), REMOTE: write('REMOTE', c.theirs), MERGED: merged };
      const commandLine = toolCommandLine(cmd, files);
      out.push({ file: merged, exitCode: await run(commandLine, { ...env, ...files }), commandLine });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
