// Dates as the user reads them: the records and the version store keep ISO strings (SkillMeat writes naive ones
// with microseconds, `2026-11-01T09:30:00.000000`); every date shown goes through here, in VS Code's language.
import * as vscode from 'vscode';

/** `Nov 1, 2026, 9:30:00 AM` (in the display language), or the text as it is when it is not a date. */
export function localDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(vscode.env.language, { dateStyle: 'medium', timeStyle: 'medium' });
}
