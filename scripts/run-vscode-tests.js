#!/usr/bin/env node
// Runs the integration tests inside a real VS Code extension host, through @vscode/test-electron's runTests().
//
//   node scripts/run-vscode-tests.js [--only NAME] [--fixture DIR] [--grep TEXT] [--desktop]
//
// By default runTests() starts scripts/launch-vscode.js as its "VS Code executable": the VS Code server from
// .vscode-rt/ plus headless Chromium (see docs/testing.md). With --desktop (or VSCODE_TEST_DESKTOP=1) it omits
// vscodeExecutablePath, so runTests() downloads a desktop VS Code (VSCODE_TEST_VERSION, default stable) instead.
//
// Sessions: VS Code opens one workspace per session, so each folder of tests is one session with its own
// fixture. test/integration/*.test.ts run on the default fixture (--fixture, else SKILLMEAT_TEST_FIXTURE, else
// examples/ (home/ + project/) if present, else test/fixtures/integration-ws/); test/integration/<name>/*.test.ts run
// on test/fixtures/<name>/. A fixture is copied to a fresh temp dir for every session. If it holds `home/` and
// `project/`, project/ is opened and SKILLMEAT_HOME points at home/; otherwise the copy is opened and
// SKILLMEAT_HOME points at a fresh empty dir, so the user's real ~/.skillmeat is never touched.
//
// The `vsix` session tests the package a user installs, not the repository: it runs `npm run package`, installs
// the .vsix with the VS Code server's own `--install-extension` into the session's fresh extensions dir (what
// `code --install-extension file.vsix` does), and loads only a contribution-less test host
// (test/integration/vsix/host/) as the development extension, so the extension that activates is the installed one.
//
// Output: each test's outcome, then a last line `N passed, N failed`; the merged results go to
// artifacts/test-results/integration.json. Exit code 0 only if every session passed and at least one test ran.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SourceMap } = require('node:module');
const { fileURLToPath } = require('node:url');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'out/integration');
const ARTIFACTS = path.join(ROOT, 'artifacts');
const LAUNCHER = path.join(__dirname, 'launch-vscode.js');

function parseArgs(argv) {
  const opts = { desktop: process.env.VSCODE_TEST_DESKTOP === '1' };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].replace(/^--/, '').split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (key === 'only') opts.only = value();
    else if (key === 'fixture') opts.fixture = path.resolve(value());
    else if (key === 'grep') opts.grep = value();
    else if (key === 'desktop') opts.desktop = true;
    else throw new Error(`unknown argument ${argv[i]} (see the header of scripts/run-vscode-tests.js)`);
  }
  return opts;
}

function defaultFixture(opts) {
  if (opts.fixture) return opts.fixture;
  if (process.env.SKILLMEAT_TEST_FIXTURE) return path.resolve(process.env.SKILLMEAT_TEST_FIXTURE);
  // The bundled example is the default fixture: the drift tests assert on its states, and what users see
  // with `npm start` / `npm run example` is then what the tests check.
  const example = path.join(ROOT, 'examples');
  return fs.existsSync(path.join(example, 'project')) ? example : path.join(ROOT, 'test/fixtures/integration-ws');
}

/** One session per folder of bundled tests: '' is the top level, otherwise a sub-folder name. */
function discoverSessions(opts) {
  const sessions = [];
  const hasTests = (dir) => fs.readdirSync(dir).some((f) => f.endsWith('.test.js'));
  if (hasTests(OUT)) sessions.push({ name: 'default', subdir: '', fixture: defaultFixture(opts) });
  for (const e of fs.readdirSync(OUT, { withFileTypes: true })) {
    if (e.isDirectory() && hasTests(path.join(OUT, e.name))) {
      // bench-* sessions measure rather than test: they run only when asked for (npm run bench does).
      if (e.name.startsWith('bench') && opts.only !== e.name) continue;
      const own = path.join(ROOT, 'test/fixtures', e.name);
      sessions.push({ name: e.name, subdir: e.name, fixture: fs.existsSync(own) ? own : defaultFixture(opts) });
    }
  }
  return opts.only ? sessions.filter((s) => s.name === opts.only) : sessions;
}

/** Copies the fixture into tmp; returns the folder to open and the SKILLMEAT_HOME to use. */
function prepareFixture(fixture, tmp) {
  if (!fs.existsSync(fixture)) throw new Error(`fixture ${fixture} does not exist: create it or choose another with --fixture`);
  const copy = path.join(tmp, 'fixture');
  fs.cpSync(fixture, copy, { recursive: true });
  // fixture-includes.json: { "dest/in/fixture": "path/in/repository" } — a fixture reuses files the
  // repository already has (e.g. the example generator skill) instead of keeping a copy that drifts.
  const includes = path.join(copy, 'fixture-includes.json');
  if (fs.existsSync(includes)) {
    for (const [dest, src] of Object.entries(JSON.parse(fs.readFileSync(includes, 'utf8')))) {
      fs.cpSync(path.join(ROOT, src), path.join(copy, dest), { recursive: true });
    }
    fs.rmSync(includes);
  }
  // fixture-generate.json: { "peerBenchData": SCALE } — home/ and project/ are generated by the peer bench's
  // deterministic generator (scripts/bench-peer-data.ts) instead of committed: a session about a large tree.
  const generate = path.join(copy, 'fixture-generate.json');
  if (fs.existsSync(generate)) {
    const { peerBenchData } = JSON.parse(fs.readFileSync(generate, 'utf8'));
    const gen = path.join(tmp, 'generated');
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench-peer-data.ts'), gen, String(peerBenchData)], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`generating the fixture failed: ${r.stderr}`);
    fs.renameSync(path.join(gen, 'home', '.skillmeat'), path.join(copy, 'home'));
    fs.renameSync(path.join(gen, 'project'), path.join(copy, 'project'));
    fs.rmSync(gen, { recursive: true, force: true });
    fs.rmSync(generate);
  }
  // A fixture with a .code-workspace file at its top opens as a multi-root workspace.
  const workspaceFile = fs.readdirSync(copy).find((f) => f.endsWith('.code-workspace'));
  if (workspaceFile && fs.existsSync(path.join(copy, 'home'))) {
    return { workspace: path.join(copy, workspaceFile), home: path.join(copy, 'home'), copy };
  }
  if (fs.existsSync(path.join(copy, 'home')) && fs.existsSync(path.join(copy, 'project'))) {
    return { workspace: path.join(copy, 'project'), home: path.join(copy, 'home'), copy };
  }
  const home = path.join(tmp, 'skillmeat-home');
  fs.mkdirSync(home);
  return { workspace: copy, home, copy };
}

/** The variables of the fixture copy's fixture-env.json (removed from the copy: the workspace does not show it). */
function fixtureEnv(copy) {
  const file = path.join(copy, 'fixture-env.json');
  if (!fs.existsSync(file)) return {};
  const env = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.rmSync(file);
  return env;
}

/** In desktop mode there is no launcher owning the page, so the harness attaches to Electron over CDP. */
async function startDesktopHarness() {
  const { freePort, startHarnessService } = require('./launch-vscode.js');
  const { chromium } = require('playwright-core');
  const cdpPort = await freePort();
  let pagePromise;
  const getPage = () => (pagePromise ??= (async () => {
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${cdpPort}`);
    const pages = browser.contexts().flatMap((c) => c.pages());
    const page = pages.find((p) => /workbench/.test(p.url()));
    if (!page) throw new Error(`no workbench page among ${pages.map((p) => p.url()).join(', ')}`);
    return page;
  })());
  const service = await startHarnessService(getPage, path.join(ARTIFACTS, 'screenshots'));
  return { ...service, launchArgs: [`--remote-debugging-port=${cdpPort}`] };
}

/** The session that installs the packaged extension instead of loading the repository (see the header). */
const VSIX_SESSION = 'vsix';

/** `npm run package` into tmp, then the server's `--install-extension` into extensionsDir; returns the .vsix path. */
function packageAndInstall(tmp, extensionsDir, runtimeEnv) {
  const vsix = path.join(tmp, 'skillmeat-sync.vsix');
  const t0 = Date.now();
  execFileSync('npm', ['run', '--silent', 'package', '--', '--out', vsix], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const node = runtimeEnv.VSCODE_NODE ?? process.env.VSCODE_NODE;
  const serverRoot = runtimeEnv.VSCODE_SERVER_ROOT ?? process.env.VSCODE_SERVER_ROOT;
  const out = execFileSync(node, [path.join(serverRoot, 'out/server-main.js'), '--install-extension', vsix,
    '--extensions-dir', extensionsDir, '--server-data-dir', path.join(tmp, 'install-server-data'), '--accept-server-license-terms'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (!/successfully installed/.test(out)) throw new Error(`installing ${vsix} failed:\n${out}`);
  console.log(`[${VSIX_SESSION}] packaged ${(fs.statSync(vsix).size / 1024).toFixed(0)} KB and installed it in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return vsix;
}

async function runSession(session, opts, runtimeEnv) {
  const { runTests, TestRunFailedError } = require('@vscode/test-electron');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `skillmeat-it-${session.name}-`));
  const { workspace, home, copy } = prepareFixture(session.fixture, tmp);
  const extensionsDir = path.join(tmp, 'extensions');
  let vsix;
  if (session.name === VSIX_SESSION) {
    if (opts.desktop) throw new Error(`the ${VSIX_SESSION} session installs into the VS Code server; it does not run with --desktop`);
    vsix = packageAndInstall(tmp, extensionsDir, runtimeEnv);
  }
  const userDataDir = path.join(tmp, 'user-data');
  const { writeDefaultSettings } = require('./launch-vscode.js');
  writeDefaultSettings(userDataDir);
  const resultsFile = path.join(tmp, 'results.json');
  const logsPath = path.join(ARTIFACTS, 'vscode-logs', session.name);
  fs.rmSync(logsPath, { recursive: true, force: true });

  const desktopHarness = opts.desktop ? await startDesktopHarness() : undefined;
  const cachePath = path.join(ROOT, '.vscode-rt/vscode-test'); // git-ignored; runTests() creates only the last level
  if (opts.desktop) fs.mkdirSync(cachePath, { recursive: true });
  const started = Date.now();
  let code;
  let launchError;
  try {
    code = await runTests({
      ...(opts.desktop
        ? { version: process.env.VSCODE_TEST_VERSION || 'stable', cachePath }
        : { vscodeExecutablePath: LAUNCHER }),
      extensionDevelopmentPath: vsix ? path.join(ROOT, 'test/integration/vsix/host') : ROOT,
      extensionTestsPath: path.join(OUT, 'index.js'),
      launchArgs: [workspace, `--user-data-dir=${userDataDir}`, `--extensions-dir=${extensionsDir}`,
        `--logsPath=${logsPath}`, ...(vsix ? [] : ['--disable-extensions']), ...(desktopHarness?.launchArgs ?? [])],
      // runTests() merges these into the launcher's environment; from there they reach the extension host.
      extensionTestsEnv: {
        ...runtimeEnv,
        SKILLMEAT_HOME: home,
        SKILLMEAT_TEST_FIXTURE_COPY: copy,
        VSCODE_TEST_RESULTS: resultsFile,
        VSCODE_TEST_SUBDIR: session.subdir,
        VSCODE_TEST_SCREENSHOTS: path.join(ARTIFACTS, 'screenshots'),
        ...(vsix ? { SKILLMEAT_TEST_VSIX: vsix, SKILLMEAT_TEST_EXTENSIONS_DIR: extensionsDir } : {}),
        ...(opts.grep ? { VSCODE_TEST_GREP: opts.grep } : {}),
        // fixture-env.json: variables a session sets for the extension host (a tuning knob it tests).
        ...fixtureEnv(copy),
        ...(desktopHarness ? { VSCODE_TEST_HARNESS_URL: desktopHarness.url } : {}),
      },
    });
  } catch (e) {
    // runTests() rejects with TestRunFailedError when VS Code exits non-zero (failed tests, timeout, crash);
    // anything else (a failed download, a launcher that cannot start) is worth printing.
    code = e instanceof TestRunFailedError ? e.code ?? 1 : 1;
    if (!(e instanceof TestRunFailedError)) {
      launchError = String(e && e.stack || e);
      console.error(`[${session.name}] ${launchError}`);
    }
  } finally {
    desktopHarness?.close();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  let results = [];
  if (fs.existsSync(resultsFile)) results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')).results;
  // A session that died without recording a failure (crash, timeout, unloadable index.js) still failed.
  if (code !== 0 && !results.some((r) => !r.ok)) {
    results.push({ title: `session "${session.name}" did not complete (exit code ${code}; logs in ${path.relative(ROOT, logsPath)})`, ok: false, err: launchError });
  }
  // The logs stay in artifacts/vscode-logs either way; the fixture copy only when asked, so /tmp does not fill up.
  if (process.env.KEEP_TMP) console.log(`[${session.name}] fixture copy and user data kept in ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  if (code !== 0 && !process.env.KEEP_TMP) console.log(`[${session.name}] rerun with KEEP_TMP=1 to keep the fixture copy for inspection`);
  console.log(`[${session.name}] session took ${seconds} s`);
  return results.map((r) => ({ session: session.name, ...r, ...(r.err ? { err: mapStack(r.err) } : {}) }));
}

// Failure stacks name lines of the bundles in out/integration/; map them back to the .ts sources through the
// bundles' inline source maps, so a failure points at the line of the test that failed.
const sourceMaps = new Map();
function sourceMapOf(bundle) {
  if (!sourceMaps.has(bundle)) {
    let map = null;
    try {
      const m = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(fs.readFileSync(bundle, 'utf8'));
      if (m) map = new SourceMap(JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')));
    } catch { /* an unreadable bundle keeps its generated positions */ }
    sourceMaps.set(bundle, map);
  }
  return sourceMaps.get(bundle);
}
function mapStack(text) {
  return text.replace(/((?:\/[^\s():]*)?out\/integration\/[\w./-]+\.js):(\d+):(\d+)/g, (all, file, line, col) => {
    const bundle = path.isAbsolute(file) ? file : path.join(ROOT, file);
    const entry = sourceMapOf(bundle)?.findEntry(Number(line) - 1, Number(col) - 1);
    if (!entry || !entry.originalSource) return all;
    const src = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(bundle), entry.originalSource);
    return `${path.relative(ROOT, src)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/** The server runtime from scripts/setup-vscode-runtime.sh, unless the caller already evaluated its export line. */
function runtimeEnv(opts) {
  if (opts.desktop || (process.env.VSCODE_NODE && process.env.VSCODE_SERVER_ROOT)) return {};
  const out = execFileSync('bash', [path.join(__dirname, 'setup-vscode-runtime.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.trim().split('\n').pop();
  return Object.fromEntries([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  execFileSync(process.execPath, [path.join(ROOT, 'test/integration/build.mjs')], { stdio: 'inherit', cwd: ROOT });
  if (!fs.existsSync(path.join(ROOT, 'dist/extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build` first');
  const env = runtimeEnv(opts);
  const sessions = discoverSessions(opts);
  if (sessions.length === 0) throw new Error(`no integration test sessions found${opts.only ? ` named ${opts.only}` : ''}`);

  const results = [];
  for (const s of sessions) results.push(...await runSession(s, opts, env));

  if (results.length === 0) results.push({ session: '-', title: 'no integration tests ran (check --only / --grep)', ok: false });
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  fs.mkdirSync(path.join(ARTIFACTS, 'test-results'), { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'test-results/integration.json'), JSON.stringify({ passed, failed, results }, null, 2));
  console.log('\nintegration tests:');
  for (const r of results) {
    console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} [${r.session}] ${r.title}`);
    if (!r.ok && r.err) console.log(`       ${r.err.split('\n').slice(0, 6).join('\n       ')}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`run-vscode-tests: ${e && e.stack || e}`);
  process.exit(1);
});
