// Version store throughput with encryption at rest off and on (issue 14): N versions of a 1 000-file skill are put
// (blobs written, one transaction a version) and read back (every file of every version, from a freshly opened
// store), plain and Fernet-encrypted, in the same run; then the plain store is converted (encrypt) as a whole.
// MB are MB of file content (10^6 bytes), not of what lands on disk (a Fernet token is ~4/3 of its content).
//
//   node --import tsx bench/run.ts storeCrypto        (STORE_CRYPTO_VERSIONS=2 for a quick run)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { convertStore, VersionStore } from '../src/core/store/versionStore';
import { newManifest, type StoreKeyProvider } from '../src/core/store/storeEncryption';
import { generateKey } from '../src/core/privacy/fernet';
import { prng } from './prng';

type Report = (label: string, value: number, unit: string) => void;

const VERSIONS = Number(process.env.STORE_CRYPTO_VERSIONS ?? 3);
const FILES = 1000;

/** Version `v` of the skill: 1 000 files of 200 B – 4 KB, every one different from the other versions'. */
function version(v: number): { rel: string; data: Buffer }[] {
  const rand = prng(1000 + v);
  return Array.from({ length: FILES }, (_, i) => {
    const size = 200 + Math.floor(rand() * 3800);
    const data = Buffer.alloc(size);
    for (let j = 0; j < size; j++) data[j] = 32 + Math.floor(rand() * 95);
    return { rel: `docs/part-${String(i).padStart(4, '0')}.md`, data };
  });
}

async function measure(dir: string, content: { rel: string; data: Buffer }[][], keys?: StoreKeyProvider): Promise<{ putMs: number; getMs: number; bytes: number }> {
  const bytes = content.reduce((n, files) => n + files.reduce((m, f) => m + f.data.length, 0), 0);
  const store = await VersionStore.open(dir, { keys });
  const trees: string[] = [];
  let t0 = performance.now();
  for (const files of content) {
    await store.transact((s) => {
      const tree = s.putContent('dir', files);
      s.addVersion({ artifactKey: '.claude:skill:big', treeHash: tree.treeHash, origin: 'edit' });
      trees.push(tree.treeHash);
    });
  }
  const putMs = performance.now() - t0;
  store.close();
  t0 = performance.now();
  const reader = await VersionStore.open(dir, { keys });
  let read = 0;
  for (const t of trees) for (const f of reader.getTree(t)!.files) read += reader.readBlob(f.blob).length;
  const getMs = performance.now() - t0;
  reader.close();
  if (read !== bytes) throw new Error(`read ${read} bytes back, wrote ${bytes}`);
  return { putMs, getMs, bytes };
}

export async function run(report: Report): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smsync-bench-crypt-'));
  try {
    const content = Array.from({ length: VERSIONS }, (_, v) => version(v));
    const key = generateKey();
    // The encrypted store is made encrypted while empty, so every put goes through the codec.
    const encDir = path.join(tmp, 'encrypted');
    await convertStore(encDir, { key, manifest: newManifest(key, 'key') });
    const plain = await measure(path.join(tmp, 'plain'), content);
    const enc = await measure(encDir, content, async () => key);
    const mb = plain.bytes / 1e6;
    report(`${VERSIONS} versions × ${FILES} files: content`, mb, 'MB');
    report('put, plain', mb / (plain.putMs / 1000), 'MB/s');
    report('put, encrypted', mb / (enc.putMs / 1000), 'MB/s');
    report('put, encrypted / plain time', enc.putMs / plain.putMs, '×');
    report('get, plain', mb / (plain.getMs / 1000), 'MB/s');
    report('get, encrypted', mb / (enc.getMs / 1000), 'MB/s');
    report('get, encrypted / plain time', enc.getMs / plain.getMs, '×');
    const t0 = performance.now();
    const r = await convertStore(path.join(tmp, 'plain'), { key, manifest: newManifest(key, 'key') });
    report(`encrypt the plain store (${r.blobs} blobs)`, mb / ((performance.now() - t0) / 1000), 'MB/s');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
