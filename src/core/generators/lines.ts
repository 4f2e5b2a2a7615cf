// Streamed generator output cut into lines for a line-based log (the CLI's terminal, VS Code's output channel).

/** The longest line passed on whole; a longer one is passed on in pieces of this size. */
export const MAX_LOG_LINE = 64 * 1024;

/**
 * Cuts streamed text into lines without re-reading what it already holds, and passes a line longer than
 * `maxLine` on in pieces: a generator printing 100 MB without a newline costs linear time and bounded memory
 * (joining each chunk to everything before it and splitting again made that quadratic).
 */
export class LineSplitter {
  private pending: string[] = [];
  private pendingLength = 0;
  /** Part of the current line was already passed on (it was too long to wait for its end). */
  private cut = false;

  constructor(private readonly emit: (line: string) => void, private readonly maxLine = MAX_LOG_LINE) {}

  write(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      this.pending.push(chunk.slice(start, nl));
      this.endLine();
      start = nl + 1;
    }
    const rest = chunk.slice(start);
    if (!rest) return;
    this.pending.push(rest);
    this.pendingLength += rest.length;
    if (this.pendingLength < this.maxLine) return;
    let all = this.pending.join('');
    while (all.length >= this.maxLine) { this.emit(all.slice(0, this.maxLine)); all = all.slice(this.maxLine); this.cut = true; }
    this.pending = all ? [all] : [];
    this.pendingLength = all.length;
  }

  /** Passes on what is left of an unfinished last line. */
  flush(): void {
    if (this.pending.length) this.endLine();
  }

  private endLine(): void {
    let all = this.pending.join('');
    while (all.length > this.maxLine) { this.emit(all.slice(0, this.maxLine)); all = all.slice(this.maxLine); this.cut = true; }
    if (all || !this.cut) this.emit(all);
    this.pending = [];
    this.pendingLength = 0;
    this.cut = false;
  }
}
