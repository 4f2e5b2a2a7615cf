// What `npm run package` puts into the .vsix, as vsce itself lists it (`vsce ls`, the same file walk as
// `vsce package`, driven by the allow-list .vscodeignore): only what the extension and its CLI run on, plus the
// listing's files. The vsix integration session installs the real package; this keeps the list honest cheaply.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/** The files vsce would pack, relative to the repository, as it lists them. */
function packedFiles(): string[] {
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const out = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter(Boolean).sort();
}

/** Each packed file must match one of these: the bundles and their wasm, the schema, the media, the manifest files. */
const ALLOWED = [
  /^dist\/(extension|cli|cli-main|hashWorker|secretlint)\.js$/, /^dist\/sql-wasm\.wasm$/, /^schemas\/[\w.-]+\.json$/, /^media\/[\w.-]+\.(png|svg)$/,
  /^(package\.json|package\.nls(\.[\w-]+)?\.json|README\.md|CHANGELOG\.md|LICENSE)$/,
];

describe('the .vsix contents (npm run package)', function () {
  this.timeout(60_000);
  let files: string[];
  before(() => { files = packedFiles(); });

  it('holds the bundles, the wasm, the schema, the icon and the manifest files', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string; icon?: string; bin: Record<string, string> };
    const needed = [pkg.main, ...Object.values(pkg.bin), 'dist/cli-main.js', 'dist/sql-wasm.wasm', 'dist/hashWorker.js', 'dist/secretlint.js', 'package.json', 'package.nls.json', 'README.md', 'LICENSE']
      .map((f) => path.posix.normalize(f));
    if (pkg.icon) needed.push(pkg.icon);
    for (const f of needed) assert.ok(files.includes(f), `${f} is packed (dist/ comes from \`npm run build\`); vsce lists ${JSON.stringify(files)}`);
  });

  it('holds nothing else: no sources, tests, node_modules, runtime, build leftovers or artifacts', () => {
    const extra = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
    assert.deepEqual(extra, [], 'files outside the allow-list in .vscodeignore');
  });

  it('packs every media file the manifest and README refer to', () => {
    const pkg = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const refs = new Set([...`${pkg}\n${readme}`.matchAll(/\bmedia\/[\w.-]+\.(?:png|svg)/g)].map((m) => m[0]));
    for (const r of refs) {
      assert.ok(fs.existsSync(path.join(ROOT, r)), `${r} exists`);
      assert.ok(files.includes(r), `${r} is packed`);
    }
  });
});

describe('the Marketplace listing (package.json)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown> & {
    icon: string; engines: { vscode: string }; devDependencies: Record<string, string>; keywords: string[]; categories: string[];
    repository: { url: string }; bugs: { url: string }; homepage: string; galleryBanner: { color: string; theme: string };
  };

  it('has a 128×128 PNG icon (rendered from media/icon.svg by scripts/make-icon.mjs)', () => {
    assert.equal(pkg.icon, 'media/icon.png');
    const png = fs.readFileSync(path.join(ROOT, pkg.icon));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128], 'IHDR width and height');
  });

  it('names keywords, categories, repository, bugs, homepage and a gallery banner', () => {
    assert.ok(pkg.keywords.length >= 5 && pkg.keywords.length <= 30, 'the Marketplace takes at most 30 keywords');
    assert.ok(pkg.categories.length > 0 && !(pkg.categories.length === 1 && pkg.categories[0] === 'Other'), 'a fitting category, not only Other');
    for (const url of [pkg.repository.url, pkg.bugs.url, pkg.homepage]) assert.match(url, /^https:\/\//);
    assert.match(pkg.galleryBanner.color, /^#[0-9a-f]{6}$/i);
    assert.ok(['dark', 'light'].includes(pkg.galleryBanner.theme));
  });

  it('keeps engines.vscode and @types/vscode at or below 1.139, the VS Code the tests run on', () => {
    const minor = (v: string): number => Number(/1\.(\d+)/.exec(v)?.[1]);
    assert.ok(minor(pkg.engines.vscode) <= 139, pkg.engines.vscode);
    assert.ok(minor(pkg.devDependencies['@types/vscode']) <= 139, pkg.devDependencies['@types/vscode']);
  });
});
