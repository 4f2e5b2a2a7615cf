// The full crash campaign: the CLI killed (SIGKILL) at every injected write point of deploy, pull, update, undo,
// restore and capture (test/unit/store/crashCampaign.ts); reports trials and violations (the unit suite runs a sample).
import { runCrashCampaign } from '../test/unit/store/crashCampaign';

type Report = (label: string, value: number, unit: string) => void;

export async function run(report: Report): Promise<void> {
  const r = await runCrashCampaign({ timed: 5 });
  for (const [command, points] of Object.entries(r.points)) report(`${command}: write points killed at`, points, 'trials');
  report('kills at random times (5 per scenario)', r.trials.filter((t) => t.command.endsWith('(timed)')).length, 'trials');
  report('trials in all', r.trials.length, 'trials');
  const bad = r.trials.filter((t) => t.violations.length);
  report('trials with a violation (torn file, lost record/version, leftover, no convergence)', bad.length, 'trials');
  for (const t of bad.slice(0, 10)) process.stdout.write(`   violation: ${t.command} @${t.point}: ${t.violations.join('; ')}\n`);
}
