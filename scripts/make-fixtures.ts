// Regenerates test fixtures that need real deployment records: test/fixtures/multiroot (two projects
// deployed from one collection, opened as a multi-root workspace). Run: npx tsx scripts/make-fixtures.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deployArtifact } from '../src/core/sync/deploy';
import { VersionStore } from '../src/core/store/versionStore';

const root = path.resolve(__dirname, '..', 'test', 'fixtures', 'multiroot');
fs.rmSync(root, { recursive: true, force: true });
const home = path.join(root, 'home');
const coll = path.join(home, 'collections', 'default');
const w = (p: string, s: string) => { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, s); };
w(path.join(home, 'config.toml'), '[settings]\ndefault-collection = "default"\n');
w(path.join(coll, 'commands/hello.md'), '---\ndescription: Say hello\n---\n\nSay hello to the user.\n');
w(path.join(coll, 'skills/notes/SKILL.md'), '---\nname: notes\ndescription: Keeps notes\n---\n\n# notes\n');

(async () => {
  const store = await VersionStore.open(path.join(home, 'sync'));
  const at = () => new Date('2026-11-01T09:30:00Z');
  for (const p of ['alpha', 'beta']) {
    const project = path.join(root, p);
    for (const [type, name] of [['command', 'hello'], ['skill', 'notes']] as const) {
      await deployArtifact({ project, collectionPath: coll, collectionName: 'default', type, name, now: at, store });
    }
  }
  store.close();
  fs.appendFileSync(path.join(root, 'beta/.claude/commands/hello.md'), '\nOnly in beta.\n');
  w(path.join(root, 'multiroot.code-workspace'), JSON.stringify({ folders: [{ path: 'alpha' }, { path: 'beta' }] }, null, 2) + '\n');
  console.log('fixtures regenerated in', root);
})();
