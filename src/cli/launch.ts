// The CLI's entry point (dist/cli.js): runs the CLI bundle (dist/cli-main.js, src/cli/main.ts) with V8's code cache.
// Compiling the ~1 MB bundle, and the functions a command then runs, took 40–60 ms of every run — a tenth of a
// warm `check` of 1 000 artifacts (issue 13). Node 20 has no compile cache of its own (module.enableCompileCache
// came in Node 22), so this does what it does: the first run saves V8's compiled code beside the stat cache, in
// $SKILLMEAT_HOME/sync/code-cache/, and later runs start from it.
//
// The cache is an optimisation only: any doubt (another bundle, another Node or V8, a file another user could have
// written, an unreadable or rejected cache) compiles the bundle as usual, and nothing here ever fails a command.
// V8 checks the cache against its own version and flags but the source only by its length, so the file is named
// by the bundle's sha256. Nothing is written for someone without a SkillMeat home.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { skillmeatHome } from '../core/store/home';

const MAIN_BUNDLE = 'cli-main.js';
export const CODE_CACHE_DIR = 'code-cache';

/** Where the code cache of `source` lives for this Node, or undefined when there is no SkillMeat home. */
function codeCacheFile(source: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const home = skillmeatHome(env);
  try { if (!fs.statSync(home).isDirectory()) return undefined; } catch { return undefined; }
  const id = crypto.createHash('sha256').update(source).digest('hex').slice(0, 32);
  return path.join(home, 'sync', CODE_CACHE_DIR, `cli-${id}-v8-${process.versions.v8}-${process.arch}.bin`);
}

const POSIX = process.platform !== 'win32';

/** A file or folder this user owns and nobody else can write (on Windows, where modes say nothing of it: any). */
const own = (st: fs.Stats): boolean => !POSIX || ((st.mode & 0o022) === 0 && (!process.getuid || st.uid === process.getuid()));

/** The cache folder, when it is a real folder of this user's that nobody else can write into. */
function safeDir(dir: string): boolean {
  try { const st = fs.lstatSync(dir); return st.isDirectory() && own(st); } catch { return false; }
}

/** The cache's bytes, when the file is this user's own and nobody else can write it. */
function readOwn(file: string): Buffer | undefined {
  try {
    if (!safeDir(path.dirname(file))) return undefined;
    const st = fs.lstatSync(file);
    if (!st.isFile() || !own(st)) return undefined;
    const bytes = fs.readFileSync(file);
    // Marks it used (at most daily): caches unused for a while are removed when another is saved.
    if (Date.now() - st.mtimeMs > DAY_MS) { try { fs.utimesSync(file, new Date(), new Date()); } catch { /* read-only: fine */ } }
    return bytes;
  } catch {
    return undefined;
  }
}

const DAY_MS = 24 * 3600_000;
const STALE_MS = 30 * DAY_MS;

/**
 * Saves V8's code for `script` (a new temp file, then a rename); silent on any failure, and nothing at all when the
 * folder is not this user's own. Removes caches unused for a day of other bundles for this same runtime (an update's
 * leftovers; two builds in use side by side keep theirs) and any cache unused for 30 days (another runtime's: VS
 * Code runs this CLI with its own V8, for generators, and keeps its own file).
 */
function save(script: vm.Script, file: string): void {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!safeDir(dir)) return;
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
    const runtime = path.basename(file).replace(/^cli-[0-9a-f]+/, '');
    for (const f of fs.readdirSync(dir)) {
      const p = path.join(dir, f);
      if (!f.startsWith('cli-') || p === file) continue;
      const unused = Date.now() - fs.lstatSync(p).mtimeMs;
      if ((f.endsWith(runtime) && unused > DAY_MS) || unused > STALE_MS) fs.rmSync(p, { force: true });
    }
  } catch {
    // a read-only home: the next run compiles again
  }
}

/** Loads and runs the CLI bundle `main` as the program, with the code cache when it can. */
export function launch(main: string, env: NodeJS.ProcessEnv = process.env): void {
  const source = fs.readFileSync(main, 'utf8');
  const file = codeCacheFile(source, env);
  const cachedData = file ? readOwn(file) : undefined;
  // The same wrapper Node's CommonJS loader puts around a module.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, { filename: main, ...(cachedData ? { cachedData } : {}) });
  // After the command, when V8 has compiled what it ran: the cache then holds those functions too.
  if (file && (!cachedData || script.cachedDataRejected)) process.once('exit', () => save(script, file));
  const mod = new Module(main, module);
  mod.filename = main;
  const wrapper = script.runInThisContext() as (e: unknown, r: NodeRequire, m: Module, f: string, d: string) => void;
  wrapper.call(mod.exports, mod.exports, createRequire(main), mod, main, path.dirname(main));
  (mod.exports as { runAsProgram(): void }).runAsProgram();
}

if (require.main === module) launch(path.join(__dirname, MAIN_BUNDLE));
