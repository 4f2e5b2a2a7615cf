// Loads sql.js with its wasm located explicitly: next to the bundle (dist/sql-wasm.wasm) when bundled,
// or from node_modules when running from source (tests).
import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

let loading: Promise<SqlJsStatic> | undefined;

/** Where the sql.js wasm lives; the first existing candidate wins. */
export function sqlWasmPath(): string {
  const candidates = [path.join(__dirname, 'sql-wasm.wasm'), path.join(__dirname, '..', '..', 'dist', 'sql-wasm.wasm')];
  try { candidates.push(require.resolve('sql.js/dist/sql-wasm.wasm')); } catch { /* bundled: not resolvable */ }
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`sql-wasm.wasm not found (looked in ${candidates.join(', ')}). Rebuild with "npm run build".`);
  return found;
}

/** The sql.js module, loaded once per process. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  loading ??= (async () => {
    const wasmBinary = fs.readFileSync(sqlWasmPath());
    return initSqlJs({ wasmBinary: wasmBinary as unknown as ArrayBuffer });
  })();
  return loading;
}
