// Asking for a passphrase on a terminal, without echo (state export/import, store encrypt/decrypt/rotate-key).
import type { CliIO } from './output';

/** A prompt reading one line without echo; undefined when stdin or stdout is not a terminal. */
export async function keyPrompt(io: CliIO): Promise<((q: string) => Promise<string>) | undefined> {
  if (!io.isTTY || !process.stdin.isTTY) return undefined;
  return (question) => new Promise((resolve) => {
    // The passphrase is not echoed: raw mode, read up to Enter.
    process.stderr.write(question);
    const stdin = process.stdin;
    let typed = '';
    stdin.setRawMode(true);
    stdin.resume();
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') { stdin.setRawMode(false); stdin.pause(); stdin.off('data', onData); process.stderr.write('\n'); resolve(typed); return; }
        if (ch === '\u0003') process.exit(130);
        if (ch === '\u007f') typed = typed.slice(0, -1); else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}
