// Regenerates examples/: a SkillMeat home with a collection, and a project deployed from it whose
// artifacts sit in several drift states. Run: npx tsx scripts/make-example.ts (the output is committed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deployArtifact } from '../src/core/sync/deploy';
import { updateRecords } from '../src/core/store/deploymentRecords';
import { VersionStore } from '../src/core/store/versionStore';

const ex = path.resolve(__dirname, '..', 'examples');
const home = path.join(ex, 'home');
const coll = path.join(home, 'collections', 'default');
const project = path.join(ex, 'project');
for (const d of [home, project]) fs.rmSync(d, { recursive: true, force: true });

const w = (p: string, s: string) => { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, s); };
const skill = (name: string, desc: string, body: string) => `---\nname: ${name}\ndescription: ${desc}\n---\n\n# ${name}\n\n${body}\n`;

w(path.join(home, 'config.toml'), '[settings]\ndefault-collection = "default"\n');
w(path.join(coll, 'collection.toml'), '[collection]\nname = "default"\nversion = "1.0.0"\n');
w(path.join(coll, 'skills/code-review/SKILL.md'), skill('code-review', 'Reviews a diff for bugs, risky changes and missing tests.', 'Read the diff. List bugs first, then risks, then style.\n\n1. Correctness\n2. Tests\n3. Naming'));
w(path.join(coll, 'skills/code-review/checklist.md'), '- [ ] error paths handled\n- [ ] tests cover the change\n');
w(path.join(coll, 'skills/release-notes/SKILL.md'), skill('release-notes', 'Drafts release notes from merged pull requests.', 'Group changes by Added / Changed / Fixed.'));
w(path.join(coll, 'skills/sql-explain/SKILL.md'), skill('sql-explain', 'Explains a slow SQL query plan.', 'Ask for EXPLAIN ANALYZE output, then point at the costliest node.'));
w(path.join(coll, 'skills/format-docs/SKILL.md'), skill('format-docs', 'Formats markdown docs consistently.', 'Use sentence case headings.'));
w(path.join(coll, 'skills/legacy-helper/SKILL.md'), skill('legacy-helper', 'An old helper that was later dropped from the collection.', 'Do old things.'));
w(path.join(coll, 'skills/data-migration/SKILL.md'), skill('data-migration', 'Plans a reversible data migration.', 'Always write the down migration first.'));
w(path.join(coll, 'commands/commit.md'), '---\ndescription: Write a conventional commit message for the staged changes\n---\n\nWrite a commit message in the form `type(scope): summary`.\n');
w(path.join(coll, 'commands/git/sync-branch.md'), '---\ndescription: Rebase the current branch on main\n---\n\nFetch, rebase on origin/main, run the tests.\n');
w(path.join(coll, 'agents/security-reviewer.md'), '---\nname: security-reviewer\ndescription: Looks for injection, secrets and unsafe deserialisation.\n---\n\nYou are a security reviewer.\n');
w(path.join(coll, 'agents/docs-writer.md'), '---\nname: docs-writer\ndescription: Writes user documentation from code.\n---\n\nYou write clear, short docs.\n');

(async () => {
  const at = () => new Date('2026-11-01T09:30:00Z');
  // The version store keeps every deployed baseline, so diffs and merges have their true base.
  const store = await VersionStore.open(path.join(home, 'sync'));
  const dep = (type: 'skill' | 'command' | 'agent', name: string) =>
    deployArtifact({ project, collectionPath: coll, collectionName: 'default', type, name, now: at, store });
  for (const s of ['code-review', 'release-notes', 'sql-explain', 'format-docs', 'legacy-helper']) await dep('skill', s);
  await dep('command', 'commit');
  await dep('command', 'git/sync-branch');
  await dep('agent', 'security-reviewer');

  // modified: edited in the project only
  fs.appendFileSync(path.join(project, '.claude/skills/code-review/SKILL.md'), '4. Performance (added locally)\n');
  // outdated: the collection moved on
  fs.appendFileSync(path.join(coll, 'skills/release-notes/SKILL.md'), '\nLink every entry to its pull request.\n');
  // conflict: both sides changed differently
  fs.appendFileSync(path.join(coll, 'commands/commit.md'), '\nKeep the summary under 72 characters.\n');
  fs.appendFileSync(path.join(project, '.claude/commands/commit.md'), '\nMention the ticket number.\n');
  // converged: both sides made the same change
  for (const base of [coll, path.join(project, '.claude')]) fs.appendFileSync(path.join(base, 'skills/format-docs/SKILL.md'), '\nWrap lines at 100 characters.\n');
  // removed: dropped from the collection
  fs.rmSync(path.join(coll, 'skills/legacy-helper'), { recursive: true });
  // deleted: removed locally
  fs.rmSync(path.join(project, '.claude/agents/security-reviewer.md'));
  // untracked: written in the project, never deployed
  w(path.join(project, '.claude/commands/standup.md'), '---\ndescription: Summarise yesterday\'s commits for the stand-up\n---\n\nList my commits since yesterday 9:00.\n');
  store.close();
  // in sync, but recorded by SkillMeat itself (no tree hash of ours) and with editor junk on one side only
  w(path.join(project, '.claude/skills/sql-explain/.DS_Store'), '\0\0\0\x01Bud1');
  await updateRecords(path.join(project, '.claude'), (f) => {
    for (const r of f.records) if (r.fields.artifact_name === 'sql-explain') { delete r.fields.skillmeat_sync_tree_hash; delete r.fields.artifact_uuid; delete r.fields.deployment_profile_id; delete r.fields.platform; delete r.fields.profile_root_dir; r.sourceText = undefined; }
    // a hook record SkillMeat wrote: kept and reported, never synced
    f.records.push({ fields: { artifact_name: 'pre-commit-format', artifact_type: 'hook', from_collection: 'default', deployed_at: '2026-11-01T09:30:00.000000', artifact_path: 'hooks/pre-commit-format.json', content_hash: '0'.repeat(64), local_modifications: false, collection_sha: '0'.repeat(64) } });
  });
  fs.writeFileSync(path.join(project, 'README.md'), '# Example project\n\nDeployed from `../home/collections/default`. Run `skillmeat-sync check` here (with SKILLMEAT_HOME=../home).\n');
  console.log('examples regenerated in', ex);
})();
