// The worker thread of the hash pool (hashPool.ts): hashes walked artifacts with exactly the code the main thread
// runs (hashEntries), and answers each message with the results in job order. Bundled on its own
// (dist/hashWorker.js) so a worker loads a small file, not the whole CLI or extension.
import { parentPort } from 'node:worker_threads';
import { hashEntries } from './hashing';
import { fromWire, resultToWire, type WireJob, type WireResult } from './hashPool';

parentPort?.on('message', (msg: { id: number; jobs: WireJob[] }) => {
  const results: WireResult[] = msg.jobs.map((j) => {
    let read = 0;
    const entries = fromWire(j);
    const hash = hashEntries(entries, [], j.skillmeat, undefined, () => { read++; });
    return resultToWire(hash, entries, read);
  });
  parentPort!.postMessage({ id: msg.id, results });
});
