// The Getting Started walkthrough (contributes.walkthroughs), opened the way the Welcome page opens it, read from the DOM.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, screenshot, waitForDom } from './util';

const WALKTHROUGH = `${EXTENSION_ID}#gettingStarted`;
const STEP_TITLES = '.gettingStartedContainer .getting-started-step .step-title';

describe('Getting Started walkthrough', () => {
  it('is contributed with its five steps, each with a screenshot and a command link', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { walkthroughs: { id: string; steps: { id: string; description: string; media: { image: string } }[] }[] };
    };
    const walkthrough = pkg.contributes.walkthroughs.find((w) => w.id === 'gettingStarted');
    assert.ok(walkthrough, 'the gettingStarted walkthrough is contributed');
    assert.deepEqual(walkthrough.steps.map((s) => s.id), ['collection', 'deploy', 'drift', 'merge', 'history']);
    for (const s of walkthrough.steps) assert.match(s.media.image, /^media\/[\w-]+\.png$/, `step ${s.id} shows a screenshot`);
  });

  it('opens with workbench.action.openWalkthrough and shows every step in order', async () => {
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH, false);
    const titles = await waitForDom(STEP_TITLES, (t) => t.length >= 5, { timeoutMs: 20_000, what: 'the walkthrough steps' });
    assert.deepEqual(titles, ['Pick or create a collection', 'Deploy a skill', 'See drift', 'Resolve a conflict in the merge editor', 'Look at history']);
    // The first step is expanded: its command link is rendered as a button.
    await waitForDom('.gettingStartedContainer .getting-started-step.expanded .button-link, .gettingStartedContainer .getting-started-step.expanded .monaco-button',
      (t) => t.some((x) => x.includes('Select Collection')), { what: 'the first step\'s Select Collection button' });
    await screenshot('walkthrough');
  });
});
