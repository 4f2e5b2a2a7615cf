// Sums the unit and integration results into the one line `npm test` ends with: `N passed, N failed`.
//
//   node scripts/test-summary.mjs [--failed-step NAME]...
//
// Reads artifacts/test-results/unit.json (scripts/run-unit.mjs) and integration.json (scripts/run-vscode-tests.js).
// A stage without a results file crashed or never ran: it counts as one failure, so the line can never claim
// "0 failed" for tests that did not run. --failed-step names a non-test step (lint, type-check, build) that
// failed: it is listed above the line and makes the exit code non-zero. The exit code is also non-zero when
// any test failed or when no test ran at all.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../artifacts/test-results');
const failedSteps = [];
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--failed-step') failedSteps.push(process.argv[++i]);
  else throw new Error(`unknown argument ${process.argv[i]}`);
}

let passed = 0;
let failed = 0;
const problems = [];
for (const stage of ['unit', 'integration']) {
  const file = join(dir, `${stage}.json`);
  if (!existsSync(file)) {
    failed += 1;
    problems.push(`${stage}: no results (${file} missing: the stage crashed or did not run)`);
    continue;
  }
  const { results } = JSON.parse(readFileSync(file, 'utf8'));
  for (const r of results) {
    if (r.pending) continue;
    if (r.ok) passed += 1;
    else {
      failed += 1;
      problems.push(`${stage}: FAIL ${r.session ? `[${r.session}] ` : ''}${r.title}`);
    }
  }
}
for (const step of failedSteps) problems.push(`step failed: ${step}`);
if (passed + failed === 0) problems.push('no tests ran');

if (problems.length) console.log(`\n${problems.join('\n')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 || failedSteps.length > 0 ? 1 : 0;
