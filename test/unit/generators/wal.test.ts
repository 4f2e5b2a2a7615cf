import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AmbrogioStateSource, StateError, applyWal, detectStateKind, openStateSource, readWalSnapshot,
} from '../../../src/core/generators';
import { loadSqlJs } from '../../../src/core/store/sqlite';
import { AMBROGIO_DDL, Sqlite3, cleanupTemp, insertSql, tempDir } from './helpers';

/** An ambrogio-style WAL database whose committed rows are still only in the -wal file. */
async function walDatabase(rows: [string, string][]): Promise<{ file: string; sqlite: Sqlite3 }> {
  const file = path.join(tempDir('amb'), 'runtime', 'state.db');
  fs.mkdirSync(path.dirname(file));
  const sqlite = new Sqlite3(file);
  await sqlite.exec(AMBROGIO_DDL);
  await sqlite.exec(insertSql(rows));
  return { file, sqlite };
}

const open: Sqlite3[] = [];

async function keysOf(image: Uint8Array): Promise<string[]> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(image);
  try {
    return (db.exec('SELECT key FROM runtime_kv ORDER BY key')[0]?.values ?? []).map((r) => String(r[0]));
  } finally {
    db.close();
  }
}

describe('reading ambrogio\'s WAL-mode state.db', () => {
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    cleanupTemp();
  });

  it('sees rows committed by the real sqlite3 that are still only in the -wal file', async () => {
    const { file, sqlite } = await walDatabase([['notes:entry:1', '{"type":"idea"}'], ['notes:entry:2', '{"type":"todo"}'], ['memory:x', 'm']]);
    open.push(sqlite);
    assert.ok(fs.statSync(`${file}-wal`).size > 0, 'the rows are in the WAL');
    const source = await AmbrogioStateSource.open(file);
    assert.deepEqual(source.list(['notes:*']).map((e) => e.key), ['notes:entry:1', 'notes:entry:2']);
    assert.deepEqual(source.get('memory:x'), { key: 'memory:x', value: 'm', updatedAt: '2026-02-13 10:00:00' });
    assert.ok(source.walPages > 0, 'the pages came from the WAL');
    // proof that the main file alone does not hold them
    const mainOnly = applyWal(fs.readFileSync(file), undefined);
    assert.equal(mainOnly.pagesApplied, 0);
  });

  it('follows later commits, updates and deletes while the writer stays connected', async () => {
    const { file, sqlite } = await walDatabase([['k:1', 'one']]);
    open.push(sqlite);
    const source = await openStateSource({ path: file });
    assert.equal(source.kind, 'ambrogio', 'a WAL database is detected as ambrogio\'s');
    assert.deepEqual(source.list(['k:*']).map((e) => e.value), ['one']);
    await sqlite.exec(`${insertSql([['k:2', 'two'], ['k:1', 'uno']])}\nDELETE FROM runtime_kv WHERE key = 'k:2';\n${insertSql([['k:3', 'three']])}`);
    assert.deepEqual(source.list(['k:*']).map((e) => [e.key, e.value]), [['k:1', 'uno'], ['k:3', 'three']]);
  });

  it('ignores a transaction that is not committed yet', async () => {
    const { file, sqlite } = await walDatabase([['k:1', 'one']]);
    open.push(sqlite);
    // many rows overflow the page cache, so the open transaction spills uncommitted frames into the WAL
    const big = Array.from({ length: 3000 }, (_, i): [string, string] => [`big:${i}`, 'x'.repeat(200)]);
    const walBefore = fs.statSync(`${file}-wal`).size;
    await sqlite.exec(`PRAGMA cache_size=10;\nBEGIN;\n${insertSql(big)}`);
    assert.ok(fs.statSync(`${file}-wal`).size > walBefore, 'uncommitted frames reached the WAL');
    const source = await AmbrogioStateSource.open(file);
    assert.deepEqual(source.list(['*']).map((e) => e.key), ['k:1']);
    await sqlite.exec('COMMIT;');
    assert.equal(source.list(['big:*']).length, 3000);
  });

  it('reads the main file alone once the WAL was checkpointed away', async () => {
    const { file, sqlite } = await walDatabase([['k:1', 'one']]);
    await sqlite.close();
    assert.equal(fs.existsSync(`${file}-wal`), false, 'closing checkpoints and removes the WAL');
    assert.equal(detectStateKind(file), 'ambrogio', 'the header still says WAL mode');
    const source = await AmbrogioStateSource.open(file);
    assert.deepEqual(source.list(['*']).map((e) => e.key), ['k:1']);
  });

  it('ignores frames of an older WAL generation after a checkpoint restarted the log', async () => {
    const many = Array.from({ length: 200 }, (_, i): [string, string] => [`old:${String(i).padStart(3, '0')}`, 'v'.repeat(100)]);
    const { file, sqlite } = await walDatabase(many);
    open.push(sqlite);
    const longWal = fs.statSync(`${file}-wal`).size;
    await sqlite.exec(`PRAGMA wal_checkpoint(RESTART);\n${insertSql([['new:1', 'fresh']])}\nDELETE FROM runtime_kv WHERE key = 'old:000';`);
    assert.equal(fs.statSync(`${file}-wal`).size, longWal, 'the new generation overwrote the start of the same file');
    assert.match(applyWal(fs.readFileSync(file), fs.readFileSync(`${file}-wal`)).note ?? '', /older WAL generation/);
    const source = await AmbrogioStateSource.open(file);
    assert.equal(source.get('new:1')?.value, 'fresh');
    assert.equal(source.get('old:000'), undefined);
    assert.equal(source.list(['old:*']).length, 199);
  });

  it('stops at a torn last frame and at a frame with a bad checksum', async () => {
    const { file, sqlite } = await walDatabase([['k:1', 'one']]);
    open.push(sqlite);
    await sqlite.exec(insertSql([['k:2', 'two']]));
    const db = fs.readFileSync(file);
    const wal = fs.readFileSync(`${file}-wal`);
    const pageSize = wal.readUInt32BE(8);
    assert.deepEqual(await keysOf(applyWal(db, wal).image), ['k:1', 'k:2']);
    // cut the last frame (the commit of k:2) in half: that commit is lost, the first one survives
    assert.deepEqual(await keysOf(applyWal(db, wal.subarray(0, wal.length - pageSize / 2)).image), ['k:1']);
    const corrupt = Buffer.from(wal);
    corrupt[wal.length - 10] ^= 0xff;
    const bad = applyWal(db, corrupt);
    assert.match(bad.note ?? '', /bad checksum/);
    assert.deepEqual(await keysOf(bad.image), ['k:1']);
    const badHeader = Buffer.from(wal);
    badHeader[17] ^= 0xff; // salt-1 no longer matches its checksum
    assert.equal(applyWal(db, badHeader).pagesApplied, 0);
  });

  it('re-reads when a writer changes the files during the copy', async () => {
    const { file, sqlite } = await walDatabase([['k:1', 'one']]);
    open.push(sqlite);
    let changes = 0;
    const snap = readWalSnapshot(file, {
      duringRead: (attempt) => {
        if (attempt < 2) { fs.appendFileSync(`${file}-wal`, Buffer.alloc(8)); changes++; }
      },
    });
    assert.equal(changes, 2, 'two copies were discarded');
    assert.ok(snap.walPages > 0);
  });

  it('gives up with a clear error when the database never holds still', async () => {
    const { file, sqlite } = await walDatabase([['k:1', 'one']]);
    open.push(sqlite);
    assert.throws(() => readWalSnapshot(file, { attempts: 3, duringRead: () => fs.appendFileSync(`${file}-wal`, Buffer.alloc(8)) }), (e: unknown) => {
      assert.ok(e instanceof StateError);
      assert.equal(e.code, 'busy');
      assert.ok(e.message.includes(file));
      return true;
    });
  });

  it('reports a missing ambrogio database by name', async () => {
    const file = path.join(tempDir('amb'), 'runtime', 'state.db');
    await assert.rejects(() => AmbrogioStateSource.open(file), (e: unknown) => e instanceof StateError && e.code === 'missing' && e.message.includes(file));
  });

  it('never writes to the ambrogio database', async () => {
    const { file, sqlite } = await walDatabase([['k:1', 'one']]);
    open.push(sqlite);
    const before = [fs.readFileSync(file), fs.readFileSync(`${file}-wal`)];
    const source = await AmbrogioStateSource.open(file);
    source.list(['*']);
    assert.deepEqual([fs.readFileSync(file), fs.readFileSync(`${file}-wal`)], before);
    assert.equal('set' in source, false);
  });
});
