// A sample of the crash campaign (every write point runs in `npm run bench`): killed at injected write points,
// the CLI leaves every artifact whole, loses no record or version, and a re-run converges without leftovers.
import { strict as assert } from 'node:assert';
import { runCrashCampaign } from './crashCampaign';

describe('crash campaign (sample)', () => {
  it('kills deploy, pull, update, undo, restore and capture (one and many artifacts) at write points; nothing is torn, lost or left behind', async function () {
    this.timeout(400_000);
    const r = await runCrashCampaign({ sample: 3 });
    assert.ok(r.trials.length >= 25, `only ${r.trials.length} trials: ${JSON.stringify(r.points)}`);
    const bad = r.trials.filter((t) => t.violations.length);
    assert.deepEqual(bad.map((t) => `${t.command} @${t.point}: ${t.violations.join('; ')}`), []);
  });
});
