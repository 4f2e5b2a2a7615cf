// Terminal output: aligned tables, colours only on a TTY (and never with NO_COLOR).
import type { DriftState } from '../core/model';

export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  isTTY: boolean;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Colour = keyof typeof CODES;

/** A colouriser that is the identity when colour is off. */
export function colours(io: CliIO): (c: Colour, s: string) => string {
  const on = io.isTTY && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
  return (c, s) => (on ? `\x1b[${CODES[c]}m${s}\x1b[0m` : s);
}

export const STATE_COLOUR: Record<DriftState, Colour> = {
  'in-sync': 'green', modified: 'yellow', outdated: 'cyan', conflict: 'red', merging: 'yellow', converged: 'blue',
  added: 'gray', removed: 'magenta', deleted: 'magenta', untracked: 'gray', invalid: 'red', unreachable: 'red',
};

/** Renders rows as a left-aligned table; `paint` may colour a cell after padding. */
/**
 * Text from files (names in records, paths) made safe to print: control characters — terminal escape sequences
 * among them — are shown as `\xNN` instead of being sent to the terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * A line safe for a terminal: every control character except newline and tab is shown as `\xNN`, but the
 * colour codes this CLI adds itself (`ESC[…m`) are kept. Applied to everything the CLI prints, since names and
 * messages carry text from files.
 */
export function terminalSafe(line: string): string {
  return line.replace(/\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (m) => (m.length > 1 ? m : printable(m)));
}

export function table(header: string[], rawRows: string[][], paint?: (row: number, col: number, cell: string) => string): string {
  const rows = rawRows.map((r) => r.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[], ri: number) => r.map((c, i) => {
    const padded = i === r.length - 1 ? c : c.padEnd(widths[i]);
    return paint && ri >= 0 ? paint(ri, i, padded) : padded;
  }).join('  ').trimEnd();
  return [line(header, -1), ...rows.map((r, i) => line(r, i))].join('\n');
}
