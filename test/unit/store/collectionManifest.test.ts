// collection.toml (SkillMeat's manifest): an artifact this product adds to a collection is registered as
// `skillmeat add` registers it, every other byte kept; undo takes out exactly what was appended.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'smol-toml';
import { editManifestText, updateCollectionManifest } from '../../../src/core/store/collectionManifest';
import { undoLastSync } from '../../../src/core/sync/undo';
import { useTempDirs, addSkill } from '../helpers';
import { makeSyncWorld, deploy, pull } from '../sync/syncWorld';

// What `skillmeat init` writes (tomli_w: the empty list inline, before the [collection] table).
const INIT = 'artifacts = []\n\n[collection]\nname = "default"\nversion = "1.0.0"\ncreated = "2026-01-01T00:00:00.000001"\nupdated = "2026-01-01T00:00:00.000002"\n';
const ENTRY = { name: 'review-fork', type: 'skill' as const, added: '2026-01-02T03:04:05.006000' };
const TABLE = '[[artifacts]]\nname = "review-fork"\ntype = "skill"\npath = "skills/review-fork"\norigin = "local"\nadded = "2026-01-02T03:04:05.006000"\n';

describe('collection.toml registration', () => {
  const tmp = useTempDirs();

  it('replaces the empty inline list of a fresh collection with the first [[artifacts]] table', () => {
    const o = editManifestText(INIT, '/c/collection.toml', ENTRY);
    assert.equal(o.kind, 'added');
    assert.equal(o.text, INIT.replace('artifacts = []\n\n', '') + '\n' + TABLE);
    assert.deepEqual(JSON.parse(JSON.stringify((parse(o.text) as { artifacts: unknown[] }).artifacts)), [{ name: 'review-fork', type: 'skill', path: 'skills/review-fork', origin: 'local', added: ENTRY.added }]);
  });

  it('appends after the tables of the artifacts already listed, and leaves a listed artifact alone', () => {
    const text = INIT.replace('artifacts = []\n\n', '') + '\n[[artifacts]]\nname = "review"\ntype = "skill"\npath = "skills/review"\norigin = "local"\nadded = "x"\n\n[artifacts.metadata]\ndescription = "d"\n';
    const o = editManifestText(text, '/c/collection.toml', ENTRY);
    assert.equal(o.text, text + '\n' + TABLE);
    assert.equal(editManifestText(o.text, '/c/collection.toml', ENTRY).kind, 'unchanged');
    assert.equal(editManifestText(text, '/c/collection.toml', { ...ENTRY, name: 'review' }).kind, 'unchanged');
  });

  it('removes exactly the table it appended', () => {
    const added = editManifestText(INIT, '/c/collection.toml', ENTRY).text;
    const back = editManifestText(added, '/c/collection.toml', ENTRY, true);
    assert.equal(back.kind, 'removed');
    assert.deepEqual(parse(back.text), parse(INIT.replace('artifacts = []\n\n', '')));
  });

  it('creates no collection.toml in a folder that has none', async () => {
    const dir = tmp('coll');
    const r = await updateCollectionManifest(dir, [ENTRY]);
    assert.equal(r.exists, false);
    assert.equal(fs.existsSync(path.join(dir, 'collection.toml')), false);
  });

  it('a pull with fork registers the fork, and undo takes the registration out again', async () => {
    const w = await makeSyncWorld(tmp);
    fs.writeFileSync(path.join(w.collection, 'collection.toml'), INIT);
    addSkill(w.collection, 'review');
    await deploy(w, 'skill', 'review');
    fs.appendFileSync(path.join(w.claude, 'skills', 'review', 'SKILL.md'), '\nlocal edit\n');
    const r = await pull(w, 'fork', ['review']);
    assert.equal(r.status, 'success');
    const listed = (parse(fs.readFileSync(path.join(w.collection, 'collection.toml'), 'utf8')) as { artifacts: { name: string; path: string }[] }).artifacts;
    assert.deepEqual(listed.map((a) => [a.name, a.path]), [['review-fork', 'skills/review-fork']]);
    await undoLastSync({ project: w.project, store: w.store });
    assert.equal(fs.readFileSync(path.join(w.collection, 'collection.toml'), 'utf8'), INIT, 'nobody else wrote it: put back byte for byte');
  });
});
