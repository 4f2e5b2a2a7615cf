// Applies the committed frames of a SQLite write-ahead log to the main database image. sql.js runs on an
// in-memory image and cannot open a -wal file, yet ambrogio's runtime/state.db runs in WAL mode: rows a
// writer committed but that no checkpoint has copied yet live only in the -wal file. This replays what
// SQLite's own WAL recovery would (https://www.sqlite.org/fileformat2.html#walformat): header and frame
// salts must match, the cumulative checksum must hold, and only frames up to the last valid commit count.

const WAL_MAGIC_LE = 0x377f0682;
const WAL_MAGIC_BE = 0x377f0683;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/** What {@link applyWal} found. */
export interface WalReplay {
  /** The database image with the committed frames applied, marked as a rollback-journal database. */
  image: Uint8Array;
  /** Distinct pages taken from committed WAL frames (0 when there was no usable WAL). */
  pagesApplied: number;
  /** Why the WAL was ignored or cut short, for diagnostics. */
  note?: string;
}

function checksum(view: DataView, offset: number, length: number, littleEndian: boolean, s: [number, number]): [number, number] {
  let s0 = s[0];
  let s1 = s[1];
  for (let i = offset; i < offset + length; i += 8) {
    s0 = (s0 + view.getUint32(i, littleEndian) + s1) >>> 0;
    s1 = (s1 + view.getUint32(i + 4, littleEndian) + s0) >>> 0;
  }
  return [s0, s1];
}

function markRollbackJournal(image: Uint8Array): Uint8Array {
  // Header bytes 18/19 = 2 mean "WAL mode"; the image we hand sql.js has no WAL of its own, so mark it
  // as a legacy (rollback-journal) database, which is what an in-memory copy is.
  if (image.length >= 100 && (image[18] === 2 || image[19] === 2)) {
    image[18] = 1;
    image[19] = 1;
  }
  return image;
}

/** Returns the main database image with every committed WAL frame applied. Never modifies its inputs. */
export function applyWal(db: Uint8Array, wal: Uint8Array | undefined): WalReplay {
  const copy = (note?: string): WalReplay => ({ image: markRollbackJournal(Uint8Array.from(db)), pagesApplied: 0, note });
  if (!wal || wal.length < WAL_HEADER) return copy(wal && wal.length > 0 ? 'WAL shorter than its header' : undefined);
  const view = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== WAL_MAGIC_LE && magic !== WAL_MAGIC_BE) return copy('not a WAL file (bad magic)');
  const littleEndian = magic === WAL_MAGIC_LE;
  const pageSize = view.getUint32(8, false);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return copy('invalid WAL page size');
  const salt1 = view.getUint32(16, false);
  const salt2 = view.getUint32(20, false);
  let sum = checksum(view, 0, 24, littleEndian, [0, 0]);
  if (sum[0] !== view.getUint32(24, false) || sum[1] !== view.getUint32(28, false)) return copy('WAL header checksum mismatch');

  // page number -> offset of its newest committed frame's data
  const committed = new Map<number, number>();
  const pending = new Map<number, number>();
  let dbPages = 0;
  const frameSize = FRAME_HEADER + pageSize;
  let note: string | undefined;
  for (let off = WAL_HEADER; off + frameSize <= wal.length; off += frameSize) {
    const pgno = view.getUint32(off, false);
    const commitSize = view.getUint32(off + 4, false);
    // a frame left over from before the last WAL reset carries the old salts: the log ends here
    if (view.getUint32(off + 8, false) !== salt1 || view.getUint32(off + 12, false) !== salt2) { note = 'stopped at a frame of an older WAL generation'; break; }
    if (pgno === 0) { note = 'stopped at an invalid page number'; break; }
    sum = checksum(view, off, 8, littleEndian, sum);
    sum = checksum(view, off + FRAME_HEADER, pageSize, littleEndian, sum);
    if (sum[0] !== view.getUint32(off + 16, false) || sum[1] !== view.getUint32(off + 20, false)) { note = 'stopped at a frame with a bad checksum (a write in progress)'; break; }
    pending.set(pgno, off + FRAME_HEADER);
    if (commitSize > 0) {
      for (const [p, o] of pending) committed.set(p, o);
      pending.clear();
      dbPages = commitSize;
    }
  }
  if (dbPages === 0) return copy(note ?? 'no committed frame in the WAL');

  const image = new Uint8Array(dbPages * pageSize);
  image.set(db.subarray(0, Math.min(db.length, image.length)));
  for (const [pgno, dataOff] of committed) {
    // pages beyond the committed size belong to a truncation (VACUUM) and are dropped
    if (pgno > dbPages) continue;
    image.set(wal.subarray(dataOff, dataOff + pageSize), (pgno - 1) * pageSize);
  }
  return { image: markRollbackJournal(image), pagesApplied: committed.size, note };
}
