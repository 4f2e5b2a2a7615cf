// The worker thread of the hash pool (hashPool.ts): walks (when asked) and hashes artifacts with exactly the code
// the main thread runs (walkArtifact, hashEntries), and answers each message with the results in job order.
// Bundled on its own (dist/hashWorker.js) so a worker loads a small file, not the whole CLI or extension.
import { parentPort } from 'node:worker_threads';
import { ExclusionMatcher, hashEntries, walkAndHash } from './hashing';
import { fromWire, resultToWire, walkResultToWire, type WireJob, type WireResult } from './hashPool';

const matchers = new Map<string, ExclusionMatcher>();
const matcher = (extra: string[]): ExclusionMatcher => {
  const key = JSON.stringify(extra);
  let m = matchers.get(key);
  if (!m) matchers.set(key, (m = new ExclusionMatcher(extra)));
  return m;
};

parentPort?.on('message', (msg: { id: number; jobs: WireJob[] }) => {
  const results: WireResult[] = msg.jobs.map((j) => {
    let read = 0;
    if (j.walk) return walkResultToWire(walkAndHash(j.artifact, matcher(j.walk), j.skillmeat, !!j.shape, j.twin));
    const entries = fromWire(j);
    const hash = hashEntries(entries, [], j.skillmeat, undefined, () => { read++; });
    return resultToWire(hash, entries, read);
  });
  parentPort!.postMessage({ id: msg.id, results });
});
