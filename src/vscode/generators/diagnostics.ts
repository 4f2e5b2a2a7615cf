// SYNC.json problems in the Problems panel. The JSON language service already reports schema errors of an
// open SYNC.json (contributes.jsonValidation); this collection adds what it cannot know — a generator
// outside the skill or missing, an outputFile escaping the workspace — and covers files that are not open.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { ManifestError } from '../../core/generators';
import type { GeneratorsService } from './service';

/** Source shown next to each problem. */
export const DIAGNOSTIC_SOURCE = 'SkillMeat Sync';

/**
 * End offset of the JSON value (or key) starting at `offset`: a string to its closing quote, an array or
 * object to its matching bracket, a literal to the next delimiter. Used to underline the whole field.
 */
export function jsonValueEnd(text: string, offset: number): number {
  const c = text[offset];
  if (c === '"') {
    for (let i = offset + 1; i < text.length; i++) {
      if (text[i] === '\\') { i++; continue; }
      if (text[i] === '"') return i + 1;
      if (text[i] === '\n') return i;
    }
    return text.length;
  }
  if (c === '[' || c === '{') {
    let depth = 0;
    let inString = false;
    for (let i = offset; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '[' || ch === '{') depth++;
      else if (ch === ']' || ch === '}') { depth--; if (depth === 0) return i + 1; }
    }
    return text.length;
  }
  const m = /^[^\s,\]}:]+/.exec(text.slice(offset));
  return offset + (m ? m[0].length : 1);
}

function offsetOf(text: string, line: number, column: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', at);
    if (nl === -1) return text.length;
    at = nl + 1;
  }
  return Math.min(text.length, at + column - 1);
}

function positionAt(text: string, offset: number): vscode.Position {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  return new vscode.Position(line, offset - lineStart);
}

/** The range to underline for an error: its field's value, or the first line when it has no position. */
export function rangeOf(err: ManifestError, text: string | undefined): vscode.Range {
  if (text === undefined || err.line === undefined) return new vscode.Range(0, 0, 0, Math.max(1, text?.split('\n')[0].length ?? 1));
  const start = offsetOf(text, err.line, err.column ?? 1);
  const end = Math.max(start + 1, jsonValueEnd(text, start));
  return new vscode.Range(positionAt(text, start), positionAt(text, Math.min(end, text.length)));
}

/** Turns one manifest error into a diagnostic; the core's message names the field, the range underlines it. */
export function diagnosticOf(err: ManifestError, text: string | undefined): vscode.Diagnostic {
  const d = new vscode.Diagnostic(rangeOf(err, text), vscode.l10n.t('{0}. Fix: {1}.', err.message.replace(/\.$/, ''), err.fix.replace(/\.$/, '')), vscode.DiagnosticSeverity.Error);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = err.code;
  return d;
}

/** Publishes the errors of every discovered SYNC.json, after each refresh of the service. */
export class GeneratorDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('skillmeat-sync-generators');
  private readonly sub: vscode.Disposable;

  constructor(service: GeneratorsService) {
    this.sub = service.onDidChange((entries) => {
      const next: [vscode.Uri, vscode.Diagnostic[]][] = [];
      for (const e of entries) {
        let text: string | undefined;
        if (!e.gen.valid) { try { text = fs.readFileSync(e.gen.file, 'utf8'); } catch { /* positions unknown */ } }
        next.push([vscode.Uri.file(e.gen.file), e.gen.errors.map((err) => diagnosticOf(err, text))]);
      }
      // replace the whole set: a manifest that was deleted or fixed loses its problems too
      this.collection.clear();
      this.collection.set(next);
    });
  }

  dispose(): void {
    this.sub.dispose();
    this.collection.dispose();
  }
}
