// Runs the real ambrogio's own StateStore behind its own job RPC server, so the real `ambrogioctl` (which
// only talks to that socket) can be recorded. Run with Bun, from scripts/peers/record-ambrogio.sh:
//   bun scripts/peers/ambrogio-server.mjs AMBROGIO_SRC DATA_ROOT SOCKET
// The clock is the one thing normalised: every `new Date()` without arguments (ambrogio stamps
// runtime_kv.updated_at with `new Date().toISOString()`) returns 2026-02-13T10:00:00.000Z plus one second per
// call, so the recorded updatedAt values are the same on every re-recording. The store stays open until
// SIGTERM; "ready" on stdout means the socket is listening.
import path from 'node:path';

const [src, dataRoot, socketPath] = process.argv.slice(2);
if (!src || !dataRoot || !socketPath) {
  process.stderr.write('usage: bun ambrogio-server.mjs AMBROGIO_SRC DATA_ROOT SOCKET\n');
  process.exit(2);
}

const RealDate = Date;
const START = RealDate.parse('2026-02-13T10:00:00.000Z');
let tick = 0;
class RecordingClockDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(START + 1000 * tick++);
    else super(...args);
  }
  static now() { return START + 1000 * tick; }
}
globalThis.Date = RecordingClockDate;

const { StateStore } = await import(path.join(src, 'src/runtime/state-store.ts'));
const { startJobRpcServer } = await import(path.join(src, 'src/runtime/job-rpc-server.ts'));

const store = await StateStore.open(dataRoot);
const server = await startJobRpcServer({
  socketPath,
  stateStore: store,
  retryJobDelivery: async () => 'not used by the recordings',
});
process.stdout.write('ready\n');

process.on('SIGTERM', async () => {
  await server.close();
  store.close();
  process.exit(0);
});
