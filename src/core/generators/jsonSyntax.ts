// Locates the first syntax error of a JSON text. JSON.parse in Node 20 reports a position for some
// errors and none for others ("Unexpected token '}', ... is not valid JSON"), and users need a line and
// column to fix a SYNC.json, so on failure we rescan with this small strict scanner.

/** A JSON syntax error with its 1-based line and column. */
export interface JsonSyntaxError {
  message: string;
  offset: number;
  line: number;
  column: number;
}

class Stop extends Error {
  constructor(readonly offset: number, readonly reason: string) { super(reason); }
}

/** 1-based line and column (in UTF-16 code units) of `offset` in `text`. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Returns the first syntax error of `text` as strict JSON, or undefined when it parses. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  return scan(text, () => undefined);
}

/**
 * Offsets of every value of a valid JSON text, by JSON pointer (`""` is the document, `/patterns/0` the
 * first pattern), so a schema error can be shown at the line and column of the offending value.
 */
export function jsonPointerOffsets(text: string): Map<string, number> {
  const out = new Map<string, number>();
  scan(text, (pointer, offset) => { if (!out.has(pointer)) out.set(pointer, offset); });
  return out;
}

function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function scan(text: string, onValue: (pointer: string, offset: number) => void): JsonSyntaxError | undefined {
  let i = 0;
  const n = text.length;
  const describe = (at: number): string => (at >= n ? 'end of file' : `'${text[at]}'`);
  const ws = (): void => {
    while (i < n) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
      if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) throw new Stop(i, 'comments are not allowed in JSON');
      return;
    }
  };
  const expect = (ch: string, what: string): void => {
    ws();
    if (text[i] !== ch) throw new Stop(i, `expected ${what} but found ${describe(i)}`);
    i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) { i++; return text.slice(start, i); }
      if (c < 0x20) throw new Stop(i, 'control character inside a string (escape it, e.g. \\n)');
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i, 'invalid \\u escape');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw new Stop(i, 'invalid escape sequence');
        i += 2;
        continue;
      }
      i++;
    }
    throw new Stop(start, 'unterminated string');
  };
  const num = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') throw new Stop(i, `unexpected ${describe(i)}`);
    i += m[0].length;
  };
  const value = (depth: number, pointer: string): void => {
    if (depth > 512) throw new Stop(i, 'nesting too deep');
    ws();
    onValue(pointer, i);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') {
          throw new Stop(i, text[i] === '}' ? 'trailing comma before }' : `expected a double-quoted property name but found ${describe(i)}`);
        }
        const rawKey = str();
        expect(':', "':' after the property name");
        let key = rawKey;
        try { key = JSON.parse(rawKey) as string; } catch { /* reported by the scan already */ }
        value(depth + 1, `${pointer}/${escapePointerToken(key)}`);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        throw new Stop(i, `expected ',' or '}' but found ${describe(i)}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (let index = 0; ; index++) {
        ws();
        if (text[i] === ']') throw new Stop(i, 'trailing comma before ]');
        value(depth + 1, `${pointer}/${index}`);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        throw new Stop(i, `expected ',' or ']' but found ${describe(i)}`);
      }
    }
    if (c === '"') { str(); return; }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) { num(); return; }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) { i += lit.length; return; }
    }
    throw new Stop(i, `unexpected ${describe(i)}`);
  };
  try {
    value(0, '');
    ws();
    if (i < n) throw new Stop(i, `unexpected ${describe(i)} after the end of the JSON value`);
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { message: e.reason, offset: e.offset, ...lineColumnAt(text, e.offset) };
  }
}
