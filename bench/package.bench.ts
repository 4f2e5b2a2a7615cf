// The size of what a user downloads: `npm run package` into a temp dir, then the .vsix's bytes and file count
// (as `vsce ls` lists them), next to the bundles that make up most of it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

type Report = (label: string, value: number, unit: string) => void;

export function run(report: Report): void {
  const root = path.resolve(__dirname, '..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-bench-package-'));
  try {
    const vsix = path.join(dir, 'skillmeat-sync.vsix');
    const t0 = Date.now();
    execFileSync('npm', ['run', '--silent', 'package', '--', '--out', vsix], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    report('npm run package (build + vsce)', (Date.now() - t0) / 1000, 's');
    report('.vsix size', fs.statSync(vsix).size / 1024, 'KB');
    const files = execFileSync(process.execPath, [path.join(root, 'node_modules/@vscode/vsce/vsce'), 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' })
      .split('\n').filter((l) => l.trim() !== '');
    report('files in the .vsix', files.length, 'files');
    for (const f of ['dist/extension.js', 'dist/cli.js', 'dist/sql-wasm.wasm']) report(`${f} (uncompressed)`, fs.statSync(path.join(root, f)).size / 1024, 'KB');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
