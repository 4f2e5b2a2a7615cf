// The extensionTestsPath entry point: VS Code's extension host calls run() after loading the extension
// under development, and ends the session (exit code 0 or 1) when the returned promise settles.
// It runs mocha over the bundled *.test.js next to this file and records every test's outcome in the
// JSON file named by VSCODE_TEST_RESULTS, because in the web workbench the host's console reaches the
// harness only through the browser console; the file is what scripts/run-vscode-tests.js trusts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type MochaType from 'mocha';

export interface TestOutcome {
  title: string;
  file?: string;
  ok: boolean;
  durationMs?: number;
  err?: string;
}

/** Console marker that scripts/launch-vscode.js looks for to echo progress lines to the terminal. */
export const PROGRESS_MARKER = '[integration]';

export function run(): Promise<void> {
  // mocha 12 is an ES module; Node 24's require(esm) hands back either the class or a namespace holding it.
  const loaded = require('mocha') as typeof MochaType & { default?: typeof MochaType };
  const Mocha = loaded.default ?? loaded;

  /**
   * One line per test, prefixed with PROGRESS_MARKER. Mocha's own reporters print through printf-style
   * format strings, which arrive unformatted in the web workbench's console ("%s%s ..."), so they are useless there.
   */
  class ProgressReporter extends Mocha.reporters.Base {
    constructor(runner: MochaType.Runner, options?: MochaType.MochaOptions) {
      super(runner, options);
      const say = (line: string): void => console.log(`${PROGRESS_MARKER} ${line}`);
      runner.on('pass', (t) => say(`  ok   ${t.fullTitle()} (${t.duration ?? 0} ms)`));
      runner.on('fail', (t, err: Error) => say(`  FAIL ${t.fullTitle()}: ${String(err?.message ?? err).split('\n')[0]}`));
      runner.on('end', () => say(`${this.stats.passes} passing, ${this.stats.failures} failing`));
    }
  }
  const mocha = new Mocha({ ui: 'bdd', timeout: 30_000, color: false, reporter: ProgressReporter });
  if (process.env.VSCODE_TEST_GREP) mocha.grep(process.env.VSCODE_TEST_GREP);

  // One VS Code session runs one folder of tests, because the workspace it opened is fixed for the session:
  // VSCODE_TEST_SUBDIR='' runs the top-level tests, 'x' the tests in x/ (see scripts/run-vscode-tests.js).
  const dir = path.join(__dirname, process.env.VSCODE_TEST_SUBDIR ?? '');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(dir, f));
  for (const f of files) mocha.addFile(f);

  const results: TestOutcome[] = [];
  const save = (failures: number): void => {
    const file = process.env.VSCODE_TEST_RESULTS;
    if (file) fs.writeFileSync(file, JSON.stringify({ failures, results }, null, 2));
  };
  return new Promise<void>((resolve, reject) => {
    try {
      if (files.length === 0) throw new Error(`no *.test.js files in ${dir}`);
      const runner = mocha.run((failures) => {
        save(failures);
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
      runner.on('pass', (t) => results.push({ title: t.fullTitle(), file: t.file, ok: true, durationMs: t.duration }));
      // 'fail' also fires for hooks, so a broken before() shows up as a failure instead of vanishing.
      runner.on('fail', (t, err: Error) =>
        results.push({ title: t.fullTitle(), file: t.file, ok: false, durationMs: t.duration, err: describeError(err) }));
    } catch (e) {
      // A test file that throws while loading never reaches the runner's events.
      results.push({ title: 'loading the integration tests', ok: false, err: describeError(e) });
      save(1);
      reject(e);
    }
  });
}

/**
 * The error's message and stack. Mocha's stack filter drops every stack line that mentions node_modules/mocha,
 * and that includes the message line when the message quotes such a path (say, DOM text of a log view).
 */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const stack = err.stack ?? '';
  return stack.includes(err.message) ? stack : `${err.name}: ${err.message}\n${stack}`;
}
