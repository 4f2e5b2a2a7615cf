// SkillMeat's collection snapshots (`~/.skillmeat/snapshots/<collection>/<id>.tar.gz` listed in
// `snapshots.toml`), written the way SkillMeat's own deploy does after every deployment (`auto_snapshot`).
// SkillMeat's `sync-pull --strategy merge` finds the merge base of an artifact only in these snapshots, by the
// record's `merge_base_snapshot`; without one holding the baseline it merges against the current collection
// and silently drops the collection's edits. So a baseline this product records gets a snapshot too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { writeFileAtomic, withFileLock, ensureDir, type LockOptions } from './fsutil';
import { tomlString } from './deploymentRecords';

export const SNAPSHOTS_FILE = 'snapshots.toml';

/** Where SkillMeat keeps the snapshots of a collection at `<home>/collections/<name>`; undefined for a collection elsewhere. */
export function snapshotsDirFor(collectionDir: string): { dir: string; collectionName: string } | undefined {
  const abs = path.resolve(collectionDir);
  const parent = path.dirname(abs);
  if (path.basename(parent) !== 'collections') return undefined;
  const home = path.dirname(parent);
  if (!fs.existsSync(path.join(home, 'config.toml'))) return undefined; // not a SkillMeat home
  return { dir: path.join(home, 'snapshots', path.basename(abs)), collectionName: path.basename(abs) };
}

// ---- a minimal POSIX (ustar + pax) tar writer: Python's tarfile reads it ----

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, o: { size: number; mode: number; mtime: number; type: '0' | '2' | '5' | 'x'; linkname?: string }): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(o.mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(o.size, 12), 124, 'ascii');
  h.write(octal(Math.floor(o.mtime), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(o.type, 156, 'ascii');
  if (o.linkname) h.write(o.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

function pad(n: number): Buffer {
  return Buffer.alloc((512 - (n % 512)) % 512);
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`, 'utf8');
}

/** One member; a name or link longer than ustar's 100 bytes goes in a pax header, as tarfile writes it. */
function member(out: Buffer[], name: string, o: { size: number; mode: number; mtime: number; type: '0' | '2' | '5'; linkname?: string }, data?: Buffer): void {
  const pax: Buffer[] = [];
  if (Buffer.byteLength(name) > 99) pax.push(paxRecord('path', name));
  if (o.linkname && Buffer.byteLength(o.linkname) > 99) pax.push(paxRecord('linkpath', o.linkname));
  if (pax.length) {
    const body = Buffer.concat(pax);
    out.push(header('././@PaxHeader', { size: body.length, mode: 0o644, mtime: o.mtime, type: 'x' }), body, pad(body.length));
  }
  out.push(header(Buffer.from(name).subarray(0, 99).toString('utf8'), { ...o, linkname: o.linkname?.slice(0, 99) }));
  if (data) out.push(data, pad(data.length));
}

/** The tar of `dir` with its members under `arcname/` (folders, files, links as links), as `tarfile.add` makes it. */
export function tarDirectory(dir: string, arcname: string): Buffer {
  const out: Buffer[] = [];
  const walk = (abs: string, name: string): void => {
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) { member(out, name, { size: 0, mode: st.mode, mtime: st.mtimeMs / 1000, type: '2', linkname: fs.readlinkSync(abs) }); return; }
    if (st.isDirectory()) {
      member(out, name, { size: 0, mode: st.mode, mtime: st.mtimeMs / 1000, type: '5' });
      for (const child of fs.readdirSync(abs).sort()) walk(path.join(abs, child), `${name}/${child}`);
      return;
    }
    if (!st.isFile()) return;
    const data = fs.readFileSync(abs);
    member(out, name, { size: data.length, mode: st.mode, mtime: st.mtimeMs / 1000, type: '0' }, data);
  };
  walk(dir, arcname);
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

/** SkillMeat's snapshot id: `datetime.utcnow().strftime("%Y%m%d-%H%M%S-%f")`. */
export function snapshotId(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${p(d.getUTCMilliseconds(), 3)}000`;
}

function artifactCount(collectionDir: string): number {
  let n = 0;
  for (const t of ['skills', 'commands', 'agents']) {
    try { n += fs.readdirSync(path.join(collectionDir, t)).length; } catch { /* no such folder */ }
  }
  return n;
}

export interface SnapshotWritten { id: string; tarball: string }

/**
 * Writes a SkillMeat snapshot of the collection (tarball, then its `[[snapshots]]` entry appended to
 * snapshots.toml under its lock). Returns undefined when the collection is not in a SkillMeat home.
 */
export async function writeSkillmeatSnapshot(collectionDir: string, message: string, at: Date, opts: { lock?: LockOptions } = {}): Promise<SnapshotWritten | undefined> {
  const where = snapshotsDirFor(collectionDir);
  if (!where) return undefined;
  ensureDir(where.dir);
  let id = snapshotId(at);
  let tarball = path.join(where.dir, `${id}.tar.gz`);
  // Two snapshots in one millisecond: the id is also the file name, so it must differ.
  for (let us = 1; fs.existsSync(tarball); us++) { id = id.slice(0, -3) + String(us).padStart(3, '0'); tarball = path.join(where.dir, `${id}.tar.gz`); }
  writeFileAtomic(tarball, zlib.gzipSync(tarDirectory(collectionDir, where.collectionName)));
  const meta = path.join(where.dir, SNAPSHOTS_FILE);
  const stamp = `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13, 15)}.${id.slice(16)}`;
  const table = `[[snapshots]]\nid = ${tomlString(id)}\ntimestamp = ${tomlString(stamp)}\nmessage = ${tomlString(`[auto] ${message}`)}\nartifact_count = ${artifactCount(collectionDir)}\ntarball_path = ${tomlString(tarball)}\n`;
  await withFileLock(meta, () => {
    let text = '';
    try { text = fs.readFileSync(meta, 'utf8'); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
    if (/^\s*snapshots\s*=\s*\[\s*\]\s*$/m.test(text)) text = text.replace(/^\s*snapshots\s*=\s*\[\s*\]\s*\n?/m, '');
    writeFileAtomic(meta, (text.trim() ? text.replace(/\n*$/, '\n\n') : '') + table);
  }, opts.lock);
  return { id, tarball };
}
