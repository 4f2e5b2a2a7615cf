// What the Drift view offers on an artifact row of each state (issue 11: only what applies). Checked against
// package.json by test/unit/driftMenus.test.ts and against the real VS Code's DOM by ./menus.test.ts.
import type { DriftState } from '../../../src/core/model';

export const DIFF = 'Open Diff with Deployed Baseline…';
export const DIFF_C = 'Open Diff with Collection…';
export const OPEN_C = 'Open Collection Version…';
export const RECORD = 'Open Deployment Record';
export const HISTORY = 'Show History';
export const REVEAL = ['Reveal in Explorer', 'Copy Path'];

/** The menu of an artifact row per state, the same for every type. */
export const EXPECTED_MENUS: Record<DriftState, { menu: string[]; inline: string[] }> = {
  unreachable: { menu: [DIFF, HISTORY, 'Undeploy…', ...REVEAL], inline: [DIFF, HISTORY] },
  conflict: { menu: [DIFF, DIFF_C, HISTORY, 'Undeploy…', 'Update from Collection…', 'Pull into Collection…', 'Merge…', 'Fork…', ...REVEAL], inline: [DIFF, 'Merge…', HISTORY] },
  // A merge in progress (`--markers`) is finished from a terminal (`resolve`): the row offers what shows it, no sync.
  merging: { menu: [DIFF, DIFF_C, HISTORY, ...REVEAL], inline: [DIFF, HISTORY] },
  modified: { menu: [DIFF, DIFF_C, HISTORY, 'Undeploy…', 'Pull into Collection…', 'Merge…', 'Fork…', ...REVEAL], inline: [DIFF, 'Pull into Collection…', HISTORY] },
  outdated: { menu: [DIFF_C, HISTORY, 'Undeploy…', 'Update from Collection…', 'Merge…', 'Fork…', ...REVEAL], inline: [DIFF_C, 'Update from Collection…', HISTORY] },
  deleted: { menu: [OPEN_C, HISTORY, 'Deploy…', 'Undeploy…'], inline: ['Deploy…', HISTORY] },
  removed: { menu: [DIFF, HISTORY, 'Undeploy…', ...REVEAL], inline: [DIFF, HISTORY] },
  invalid: { menu: [RECORD], inline: [RECORD] },
  converged: { menu: [DIFF, HISTORY, 'Undeploy…', 'Update from Collection…', 'Pull into Collection…', ...REVEAL], inline: [DIFF, HISTORY] },
  added: { menu: [OPEN_C, 'Deploy…'], inline: [OPEN_C, 'Deploy…'] },
  untracked: { menu: [HISTORY, ...REVEAL], inline: [HISTORY] },
  'in-sync': { menu: [HISTORY, 'Undeploy…', ...REVEAL], inline: [HISTORY] },
};
