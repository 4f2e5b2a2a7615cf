// The SkillMeat home directory (`SKILLMEAT_HOME`, default ~/.skillmeat), alone in its module: the CLI's launcher
// (src/cli/launch.ts) needs it before anything else is loaded.
import * as os from 'node:os';
import * as path from 'node:path';

/** The SkillMeat home directory for this environment. */
export function skillmeatHome(env: NodeJS.ProcessEnv = process.env): string {
  const h = env.SKILLMEAT_HOME;
  return h && h.trim() ? path.resolve(h) : path.join(os.homedir(), '.skillmeat');
}
