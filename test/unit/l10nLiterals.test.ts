// Every vscode.l10n.t call in src/vscode must pass its message as a string literal: a string extractor
// (`@vscode/l10n-dev export`) reads the source, so `l10n.t(LABELS[state])` leaves the text untranslatable.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const VSCODE_SRC = path.join(__dirname, '..', '..', 'src', 'vscode');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.isFile() && e.name.endsWith('.ts') ? [p] : [];
  });
}

/** `l10n.t(…)` or `vscode.l10n.t(…)`. */
function isL10nT(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 't') return false;
  const owner = callee.expression;
  return (ts.isIdentifier(owner) && owner.text === 'l10n') || (ts.isPropertyAccessExpression(owner) && owner.name.text === 'l10n');
}

/** A string literal, or the `{ message: '…', args, comment }` form with a literal message. */
function isLiteralMessage(arg: ts.Expression | undefined): boolean {
  if (!arg) return false;
  if (ts.isStringLiteral(arg)) return true;
  if (!ts.isObjectLiteralExpression(arg)) return false;
  const message = arg.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'message');
  return !!message && ts.isStringLiteral(message.initializer);
}

/** `file:line: l10n.t(<first argument>)` for each call whose message is not a literal. */
export function nonLiteralL10nCalls(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isL10nT(node) && !isLiteralMessage(node.arguments[0])) {
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      found.push(`${fileName}:${line}: l10n.t(${node.arguments[0]?.getText(sf) ?? ''})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('l10n: literal messages only', () => {
  it('finds a variable, a template literal and a lookup passed to l10n.t, naming the line', () => {
    const src = [
      "vscode.l10n.t('fine {0}', x);",
      'vscode.l10n.t(LABELS[state]);',
      'l10n.t(`a ${b}`);',
      "vscode.l10n.t({ message: 'also fine', args: [], comment: ['c'] });",
      'vscode.l10n.t(msg);',
    ].join('\n');
    assert.deepEqual(nonLiteralL10nCalls('x.ts', src), ['x.ts:2: l10n.t(LABELS[state])', 'x.ts:3: l10n.t(`a ${b}`)', 'x.ts:5: l10n.t(msg)']);
  });

  it('every vscode.l10n.t call in src/vscode has a string literal as its message', () => {
    const files = tsFiles(VSCODE_SRC);
    assert.ok(files.length > 10, `expected the src/vscode sources, found ${files.length} files`);
    const offenders = files.flatMap((f) => nonLiteralL10nCalls(path.relative(path.join(VSCODE_SRC, '..', '..'), f).split(path.sep).join('/'), fs.readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, [], `l10n.t must be called with a string literal:\n${offenders.join('\n')}`);
  });
});
