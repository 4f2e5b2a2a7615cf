#!/usr/bin/env node
// A stand-in for the `code` executable that @vscode/test-electron's runTests() can start through
// `vscodeExecutablePath`. No VS Code desktop build can be installed on these machines, so instead this
// starts the real VS Code server bundled in code-server (on Node 24) and loads its web workbench in
// headless Chromium through playwright-core. See docs/testing.md and the team's runtime notes (shared/reference/vscode-runtime.md).
//
// It accepts VS Code's own command line, as runTests() builds it:
//   launch-vscode.js [folder | file.code-workspace]... --extensionDevelopmentPath=DIR --extensionTestsPath=FILE
//                    [--user-data-dir=DIR] [--extensions-dir=DIR] [--logsPath=DIR] [desktop-only flags, ignored]
// and exits with the code the extension host reports when the tests end (1 on timeout or crash).
//
// Our own additions:
//   --serve           no tests: print the workbench URL and keep serving until Ctrl-C (used by `npm start`)
//   --port=N          the server's port (default: a free one)
// Environment: VSCODE_NODE, VSCODE_SERVER_ROOT (from scripts/setup-vscode-runtime.sh), CHROMIUM_PATH,
//   VSCODE_TEST_SCREENSHOTS (where /shot writes PNGs), VSCODE_TEST_TIMEOUT_MS, HEADED=1.
//   Everything else in the environment reaches the extension host, because it is the server's child.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const T0 = Date.now();
const log = (...a) => console.log(`[vscode +${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...a);

/** Settings that keep the workbench quiet and offline: no walkthroughs, trust prompts, AI panels or update checks. */
const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
};

/** Writes DEFAULT_SETTINGS to <userDataDir>/User/settings.json unless a settings file is already there. */
function writeDefaultSettings(userDataDir) {
  const file = path.join(userDataDir, 'User', 'settings.json');
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(DEFAULT_SETTINGS, null, 2));
}

/** Resolves to `wanted` if it can be bound on 127.0.0.1 (0: any free port), else rejects with the bind error. */
function freePort(wanted = 0) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(wanted, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * The HTTP service tests inside the extension host call to look at the workbench they run in
 * (the extension host has no access to the DOM): GET /eval?sel=CSS[&attr=NAME] returns a JSON array of
 * the matching elements' trimmed textContent (or attribute); GET /shot?name=N saves <shotsDir>/N.png;
 * GET /type?text=T, /press?key=K and /click?sel=CSS[&button=right] send real keyboard and mouse input to the page
 * (`sel` may use Playwright's pseudo-classes, e.g. `.monaco-list-row:has(.label-name:text-is("commit"))`);
 * GET /hover?sel=CSS moves the pointer over an element (its tooltip opens).
 * `getPage` returns the playwright Page (a promise is fine), so desktop runs can attach lazily over CDP.
 */
async function startHarnessService(getPage, shotsDir) {
  const server = http.createServer(async (req, res) => {
    const u = new URL(req.url, 'http://localhost');
    try {
      const page = await getPage();
      if (u.pathname === '/eval') {
        const attr = u.searchParams.get('attr');
        const texts = await page.$$eval(u.searchParams.get('sel'),
          (els, a) => els.map((e) => (a ? e.getAttribute(a) ?? '' : e.textContent ?? '').trim()), attr);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(texts));
      } else if (u.pathname === '/shot') {
        const name = (u.searchParams.get('name') || 'shot').replace(/[^\w.-]/g, '_');
        fs.mkdirSync(shotsDir, { recursive: true });
        // Two animation frames let the renderer paint whatever the test just waited for in the DOM.
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const file = path.join(shotsDir, `${name}.png`);
        await page.screenshot({ path: file });
        res.end(file);
      } else if (u.pathname === '/type') {
        // Real keyboard input, as a user types into the focused element (e.g. a quick pick's filter box).
        await page.keyboard.type(u.searchParams.get('text') ?? '');
        res.end('ok');
      } else if (u.pathname === '/press') {
        await page.keyboard.press(u.searchParams.get('key') ?? 'Enter');
        res.end('ok');
      } else if (u.pathname === '/click') {
        // button=right opens the context menu of what is under the pointer, as a user's right-click does.
        const button = u.searchParams.get('button') === 'right' ? 'right' : 'left';
        await page.locator(u.searchParams.get('sel')).first().click({ timeout: 5000, button });
        res.end('ok');
      } else if (u.pathname === '/hover') {
        // Moves the pointer over the element, as a user does to read its tooltip.
        await page.locator(u.searchParams.get('sel')).first().hover({ timeout: 5000 });
        res.end('ok');
      } else {
        res.statusCode = 404;
        res.end(`unknown harness endpoint ${u.pathname}; use /eval?sel=, /shot?name=, /type?text=, /press?key=, /click?sel= or /hover?sel=`);
      }
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e && e.stack || e));
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/** Polls until no process of the group `pgid` is left (true) or the deadline passes (false). */
async function groupGone(pgid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try { process.kill(-pgid, 0); } catch { return true; } // ESRCH: the group is empty
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Flags of VS Code's CLI that take a value as the next argument when not written as --flag=value.
const VALUE_FLAGS = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir',
  'logsPath', 'locale', 'port', 'log', 'profile', 'sync', 'remote', 'folder-uri', 'file-uri', 'inspect-extensions',
  'inspect-brk-extensions', 'enable-proposed-api', 'crash-reporter-directory']);

function parseArgs(argv) {
  const opts = { devPaths: [], folders: [], ignored: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { opts.folders.push(path.resolve(a)); continue; }
    let [key, value] = a.slice(2).split(/=(.*)/s, 2);
    if (value === undefined && VALUE_FLAGS.has(key) && i + 1 < argv.length) value = argv[++i];
    switch (key) {
      case 'extensionDevelopmentPath': opts.devPaths.push(path.resolve(value)); break;
      case 'extensionTestsPath': opts.testsPath = path.resolve(value); break;
      case 'user-data-dir': opts.userDataDir = path.resolve(value); break;
      case 'extensions-dir': opts.extensionsDir = path.resolve(value); break;
      case 'logsPath': opts.logsPath = path.resolve(value); break;
      case 'port': opts.port = Number(value); break;
      case 'serve': opts.serve = true; break;
      // Desktop/Electron switches runTests() always adds; they mean nothing to a server + headless browser.
      default: opts.ignored.push(a);
    }
  }
  return opts;
}

function workbenchQuery(opts, tmp) {
  const q = new URLSearchParams();
  if (opts.folders.length === 1 && !opts.folders[0].endsWith('.code-workspace')) {
    q.set('folder', opts.folders[0]);
  } else if (opts.folders.length === 1) {
    q.set('workspace', opts.folders[0]);
  } else if (opts.folders.length > 1) {
    // Desktop `code a b` opens an untitled multi-root window; the web workbench needs a workspace file for that.
    const file = path.join(tmp, 'multi-root.code-workspace');
    fs.writeFileSync(file, JSON.stringify({ folders: opts.folders.map((p) => ({ path: p })) }, null, 2));
    q.set('workspace', file);
  }
  // The workbench honours `payload` only because the server runs with --enable-smoke-test-driver.
  const payload = opts.devPaths.map((p) => ['extensionDevelopmentPath', `vscode-remote://remote${p}`]);
  if (opts.testsPath) payload.push(['extensionTestsPath', `vscode-remote://remote${opts.testsPath}`]);
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return q.toString();
}

async function startServer(opts, tmp, env, onSpawn) {
  const root = process.env.VSCODE_SERVER_ROOT;
  const node = process.env.VSCODE_NODE;
  if (!root || !node) {
    throw new Error('VSCODE_SERVER_ROOT and VSCODE_NODE are not set: run `eval "$(bash scripts/setup-vscode-runtime.sh | tail -1)"` first');
  }
  let port = await freePort();
  if (opts.port) {
    // A fixed port keeps `npm start`'s URL stable across runs, but must not stop it when something else holds it.
    port = await freePort(opts.port).catch((e) => {
      log(`port ${opts.port} is not available (${e.code}); using ${port} instead`);
      return port;
    });
  }
  fs.mkdirSync(opts.logsPath, { recursive: true });
  const args = [path.join(root, 'out/server-main.js'),
    '--host', '127.0.0.1', '--port', String(port), '--without-connection-token', '--accept-server-license-terms',
    '--enable-smoke-test-driver', // without it the built workbench silently ignores ?payload= (no dev extension, no tests)
    '--disable-telemetry', '--disable-workspace-trust', '--disable-update-check',
    '--server-data-dir', path.join(tmp, 'server-data'), '--user-data-dir', opts.userDataDir,
    '--extensions-dir', opts.extensionsDir, '--logsPath', opts.logsPath];
  // Own process group, so teardown can stop the server and the extension host it forked in one signal.
  const server = spawn(node, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  onSpawn(server); // before the wait: a Ctrl-C during startup must still find it to stop it
  const serverLog = fs.createWriteStream(path.join(opts.logsPath, 'server.log'));
  server.stdout.pipe(serverLog);
  server.stderr.pipe(serverLog);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s, see ${opts.logsPath}/server.log`)), 60000);
    server.stdout.on('data', (d) => { if (/Extension host agent listening on/.test(d)) { clearTimeout(timer); resolve(); } });
    server.on('exit', (c) => { clearTimeout(timer); reject(new Error(`server exited with ${c}, see ${opts.logsPath}/server.log`)); });
  });
  return { server, origin: `http://127.0.0.1:${port}` };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.serve && !opts.testsPath) throw new Error('no --extensionTestsPath given (use --serve to just serve the workbench)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-vscode-'));
  opts.userDataDir ??= path.join(tmp, 'user-data');
  opts.extensionsDir ??= path.join(tmp, 'extensions');
  opts.logsPath ??= path.join(tmp, 'logs');
  writeDefaultSettings(opts.userDataDir);

  let server, browser, harness, page, resolvePage;
  const pageReady = new Promise((r) => (resolvePage = r));
  const stopServer = () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      try { process.kill(-server.pid, 'SIGTERM'); } catch { /* already gone */ }
    }
  };
  // Last resort: however we exit, never leave the server (and its extension host) behind.
  process.on('exit', stopServer);
  let cleaning;
  // Memoised: a second signal (runTests forwards Ctrl-C, and the terminal sends it too) waits for the first cleanup.
  const cleanup = () => (cleaning ??= (async () => {
    stopServer();
    if (browser) await browser.close().catch(() => {});
    // Wait until the server's whole process group (server, extension host, file watcher, pty host) is gone
    // before deleting the temp dir: while they shut down they still write into server-data/.
    if (server && !(await groupGone(server.pid, 5000))) {
      try { process.kill(-server.pid, 'SIGKILL'); } catch { /* already gone */ }
      await groupGone(server.pid, 2000);
    }
    if (harness) harness.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  })());
  // runTests() forwards Ctrl-C as SIGINT to us; CI runners stop jobs with SIGTERM.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      log(`${sig}: stopping`);
      cleanup().catch((e) => log('cleanup failed:', e)).finally(() => process.exit(130));
    });
  }

  try {
    const shotsDir = path.resolve(process.env.VSCODE_TEST_SCREENSHOTS || 'artifacts/screenshots');
    harness = await startHarnessService(() => page ?? pageReady, shotsDir);
    // The socket files the server and extension host create go to TMPDIR; point it at our own temp dir.
    const env = { ...process.env, TMPDIR: tmp, VSCODE_TEST_HARNESS_URL: harness.url };
    const started = await startServer(opts, tmp, env, (s) => { server = s; });
    log('server up at', started.origin, '- logs in', opts.logsPath);
    if (opts.ignored.length) log('ignored desktop-only arguments:', opts.ignored.join(' '));
    const url = `${started.origin}/?${workbenchQuery(opts, tmp)}`;

    if (opts.serve) {
      console.log(`\nOpen this URL in a browser on this machine:\n\n  ${url}\n\nPress Ctrl-C to stop.`);
      const code = await new Promise((resolve) => server.on('exit', resolve));
      log('server exited with', code);
      return 1;
    }

    const { chromium } = require('playwright-core');
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: !process.env.HEADED,
      // Playwright's own signal handlers call process.exit() right away, which would skip our cleanup.
      handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
    // Offline by design: only the local server (and data/blob URLs) may load, so a run never depends on the network.
    await context.route('**/*', (r) => {
      const u = r.request().url();
      return u.startsWith(started.origin) || /^(data|blob):/.test(u) ? r.continue() : r.abort();
    });
    const newPage = await context.newPage();
    let reportExit;
    const exited = new Promise((r) => (reportExit = r));
    // The workbench calls this when the extension host's test run() settles (the @vscode/test-web hook).
    await newPage.exposeFunction('codeAutomationExit', (code) => reportExit(code));
    newPage.on('pageerror', (e) => log('page error:', String(e).slice(0, 300)));
    newPage.on('console', (m) => forwardConsole(m.text()));
    await newPage.goto(url);
    page = newPage;
    resolvePage(page);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    log('workbench rendered');

    const timeoutMs = Number(process.env.VSCODE_TEST_TIMEOUT_MS || 300000);
    let timer;
    const code = await Promise.race([exited, new Promise((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); })]);
    clearTimeout(timer);
    if (code === 'timeout') log(`tests did not finish within ${timeoutMs} ms (VSCODE_TEST_TIMEOUT_MS)`);
    else log('extension host finished the tests with exit code', code);
    return code === 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
}

// The extension host's console reaches us only as browser console messages ("%c INFO color: #33f <text>"),
// mixed with the workbench's own logging. Echo the test progress lines test/integration/index.ts marks, and
// errors, minus the workbench's chatter about the offline gallery and the missing service worker.
const NOISE = /ENOTFOUND|getaddrinfo|Failed to fetch|ServiceWorker|vsda|open-vsx|net::ERR_FAILED/;
function forwardConsole(text) {
  if (process.env.VSCODE_TEST_RAW_CONSOLE) console.log('[console]', JSON.stringify(text));
  const progress = /^%c INFO color: #33f \[integration\] (.*)$/s.exec(text);
  if (progress) console.log(progress[1]);
  else if (/^%c\s*ERR/.test(text) && !NOISE.test(text)) log('[workbench error]', text.replace(/^%c\s*ERR color: #f33 /, '').slice(0, 600));
}

module.exports = { DEFAULT_SETTINGS, writeDefaultSettings, freePort, startHarnessService };

if (require.main === module) {
  main().then((code) => process.exit(code), (e) => { console.error(`launch-vscode: ${e && e.stack || e}`); process.exit(1); });
}
