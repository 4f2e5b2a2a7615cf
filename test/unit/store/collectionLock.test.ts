// collection.lock in SkillMeat's format ([lock] version, [lock.entries."<name>::<type>"] tables written by
// tomli_w): one value changes, every other byte stays, and a shape the updater cannot edit safely is left
// alone rather than rewritten.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { editLockText, editLockTextMany, lockEntryHash, pythonUtcTimestamp, updateCollectionLock, CollectionLockError } from '../../../src/core/store/collectionLock';
import { useTempDirs } from '../helpers';

const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);
const NEW = 'a'.repeat(64);

// What SkillMeat's LockManager.write produces (tomli_w.dumps of {"lock": {"version", "entries": {...}}}).
const SKILLMEAT_LOCK = `[lock]
version = "1.0.0"

[lock.entries."review::skill"]
content_hash = "${H1}"
fetched = "2026-01-02T03:04:05.123456"
upstream = "https://github.com/example/skills/tree/main/review"
resolved_sha = "0123456789abcdef0123456789abcdef01234567"
resolved_version = "v1.2.0"

[lock.entries."deploy.md::command"]
content_hash = "${H2}"
fetched = "2026-01-02T03:04:05.654321"
`;

const FILE = '/c/collection.lock';

describe('collection.lock updater', () => {
  const tmp = useTempDirs();

  it('changes only the content_hash value of the matching entry', () => {
    const o = editLockText(SKILLMEAT_LOCK, FILE, { name: 'review', type: 'skill', contentHash: NEW });
    assert.equal(o.kind, 'updated');
    assert.equal(o.text, SKILLMEAT_LOCK.replace(`content_hash = "${H1}"`, `content_hash = "${NEW}"`));
  });

  it('finds a command SkillMeat keyed with its .md suffix', () => {
    const o = editLockText(SKILLMEAT_LOCK, FILE, { name: 'deploy', type: 'command', contentHash: NEW });
    assert.equal(o.kind, 'updated');
    assert.equal(lockEntryHash(o.text, FILE, 'deploy', 'command'), NEW);
    assert.equal(o.text, SKILLMEAT_LOCK.replace(`content_hash = "${H2}"`, `content_hash = "${NEW}"`));
  });

  it('keeps comments, CRLF line endings and a collection_sha (which follows content_hash)', () => {
    const text = `# managed by skillmeat\r\n[lock]\r\nversion = "1.0.0"\r\n\r\n[lock.entries.'review::skill'] # the review skill\r\ncontent_hash = '${H1}'   # sha\r\ncollection_sha = "${H1}"\r\nfetched = "2026-01-02T03:04:05"\r\n`;
    const o = editLockText(text, FILE, { name: 'review', type: 'skill', contentHash: NEW });
    assert.equal(o.kind, 'updated');
    assert.equal(o.text, text.replace(`'${H1}'`, `"${NEW}"`).replace(`collection_sha = "${H1}"`, `collection_sha = "${NEW}"`));
  });

  it('adds a missing entry with the fetched timestamp SkillMeat requires, and removing it gives the file back', () => {
    const fetched = pythonUtcTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)));
    assert.equal(fetched, '2026-01-02T03:04:05.678000');
    const added = editLockText(SKILLMEAT_LOCK, FILE, { name: 'review-fork', type: 'skill', contentHash: NEW, fetched });
    assert.equal(added.kind, 'added');
    assert.equal(added.text, `${SKILLMEAT_LOCK}\n[lock.entries."review-fork::skill"]\ncontent_hash = "${NEW}"\nfetched = "${fetched}"\n`);
    const doc = parse(added.text) as { lock: { version: string; entries: Record<string, { content_hash: string; fetched: string }> } };
    assert.equal(doc.lock.version, '1.0.0');
    assert.deepEqual(Object.keys(doc.lock.entries), ['review::skill', 'deploy.md::command', 'review-fork::skill']);
    const removed = editLockText(added.text, FILE, { name: 'review-fork', type: 'skill', contentHash: null });
    assert.equal(removed.kind, 'removed');
    assert.equal(removed.text, SKILLMEAT_LOCK);
  });

  it('removes an entry in the middle, keeping the spacing of the others', () => {
    const o = editLockText(SKILLMEAT_LOCK, FILE, { name: 'review', type: 'skill', contentHash: null });
    assert.equal(o.text, `[lock]\nversion = "1.0.0"\n\n[lock.entries."deploy.md::command"]\ncontent_hash = "${H2}"\nfetched = "2026-01-02T03:04:05.654321"\n`);
  });

  it('leaves a lock it cannot edit safely unchanged and says why', () => {
    const inline = `[lock]\nversion = "1.0.0"\nentries = { "review::skill" = { content_hash = "${H1}", fetched = "x" } }\n`;
    const o1 = editLockText(inline, FILE, { name: 'review', type: 'skill', contentHash: NEW });
    assert.deepEqual([o1.kind, o1.text], ['skipped', inline]);
    assert.match((o1 as { reason: string }).reason, /not written as a \[lock\.entries\."review::skill"\] table/);
    const o2 = editLockText(inline, FILE, { name: 'other', type: 'skill', contentHash: NEW });
    assert.deepEqual([o2.kind, o2.text], ['skipped', inline]);
    const multiline = `[lock.entries."review::skill"]\ncontent_hash = """\n${H1}"""\nfetched = "x"\n`;
    assert.equal(editLockText(multiline, FILE, { name: 'review', type: 'skill', contentHash: NEW }).kind, 'skipped');
  });

  it('applies many changes in one pass with the same result as one at a time', () => {
    const changes = [
      { name: 'review', type: 'skill' as const, contentHash: NEW, fetched: 'F' },
      { name: 'new-one', type: 'agent' as const, contentHash: H1, fetched: 'F' },
      { name: 'deploy', type: 'command' as const, contentHash: H1, fetched: 'F' },
      { name: 'new-two', type: 'skill' as const, contentHash: H2, fetched: 'F' },
    ];
    let one = SKILLMEAT_LOCK;
    for (const c of changes) one = editLockText(one, FILE, c).text;
    const many = editLockTextMany(SKILLMEAT_LOCK, FILE, changes);
    assert.equal(many.text, one);
    assert.deepEqual(many.outcomes.map((o) => o.kind), ['updated', 'added', 'updated', 'added']);
  });

  it('in a batch, an entry it cannot edit is skipped and the others are still updated', () => {
    const text = `${SKILLMEAT_LOCK}\n[lock.entries."odd::skill"]\ncontent_hash = """\n${H1}"""\nfetched = "x"\n`;
    const many = editLockTextMany(text, FILE, [{ name: 'odd', type: 'skill', contentHash: NEW }, { name: 'review', type: 'skill', contentHash: NEW }]);
    assert.deepEqual(many.outcomes.map((o) => o.kind), ['skipped', 'updated']);
    assert.equal(lockEntryHash(many.text, FILE, 'review', 'skill'), NEW);
    assert.equal(lockEntryHash(many.text, FILE, 'odd', 'skill'), `${H1}`);
  });

  it('refuses a lock that does not parse, naming the file and line', () => {
    assert.throws(() => editLockText('[lock]\nversion = \n', FILE, { name: 'x', type: 'skill', contentHash: NEW }),
      (e: unknown) => e instanceof CollectionLockError && /^\/c\/collection\.lock:2: invalid TOML/.test(e.message) && /does not write it while it cannot be parsed/.test(e.message));
  });

  it('writes atomically under the lock, and never creates a missing collection.lock', async () => {
    const dir = tmp();
    const r0 = await updateCollectionLock(dir, [{ name: 'review', type: 'skill', contentHash: NEW }]);
    assert.equal(r0.exists, false);
    assert.ok(!fs.existsSync(path.join(dir, 'collection.lock')));
    fs.writeFileSync(path.join(dir, 'collection.lock'), SKILLMEAT_LOCK);
    const r1 = await updateCollectionLock(dir, [{ name: 'review', type: 'skill', contentHash: NEW }]);
    assert.deepEqual(r1.outcomes.map((o) => o.kind), ['updated']);
    assert.equal(fs.readFileSync(path.join(dir, 'collection.lock'), 'utf8'), r1.after);
    assert.deepEqual(fs.readdirSync(dir), ['collection.lock']);
  });
});
