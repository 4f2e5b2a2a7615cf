// The worker thread of the hash pool (hashPool.ts): hashes walked artifacts with exactly the code the main thread
// runs (hashEntries), and answers each message with the results in job order. Bundled on its own
// (dist/hashWorker.js) so a worker loads a small file, not the whole CLI or extension.
import { parentPort } from 'node:worker_threads';
import { hashEntries, type HashJob, type HashJobResult } from './hashing';

parentPort?.on('message', (msg: { id: number; jobs: HashJob[] }) => {
  const results: HashJobResult[] = msg.jobs.map((j) => {
    let read = 0;
    const hash = hashEntries(j.entries, [], j.skillmeat, undefined, () => { read++; });
    return { hash, read };
  });
  parentPort!.postMessage({ id: msg.id, results });
});
