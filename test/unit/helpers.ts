// Shared test helpers: fresh temp dirs (removed after each test), fixture builders for a SkillMeat home,
// a collection and a project, an independent SkillMeat hash, directory snapshots and a capturing CLI IO.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { checkDrift, type CheckOptions } from '../../src/core/drift/drift';
import { deployArtifact, type DeployResult } from '../../src/core/sync/deploy';
import type { ArtifactDrift, ArtifactType, DriftReport } from '../../src/core/model';
import type { VersionStore } from '../../src/core/store/versionStore';
import type { CliIO } from '../../src/cli/output';

/** Registers an `afterEach` that removes every temp dir made through the returned function. */
export function useTempDirs(): (tag?: string) => string {
  const made: string[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) {
      restorePermissions(d);
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
  return (tag = 't') => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `skillmeat-sync-${tag}-`));
    made.push(d);
    return d;
  };
}

/** Gives the owner full access again below `dir`, so a test that removed permissions can be cleaned up. */
function restorePermissions(dir: string): void {
  const walk = (p: string): void => {
    let st: fs.Stats;
    try { st = fs.lstatSync(p); } catch { return; }
    if (st.isSymbolicLink()) return;
    try { fs.chmodSync(p, (st.mode & 0o777) | 0o700); } catch { /* best effort */ }
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
}

/** Writes `files` (relative path → content) below `base`, creating directories. */
export function writeTree(base: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(base, ...rel.split('/'));
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}

/** A SkillMeat home with a default collection, and an empty project. */
export interface World {
  home: string;
  /** `<home>/collections/default` */
  collection: string;
  project: string;
  /** `<project>/.claude` */
  claude: string;
  env: NodeJS.ProcessEnv;
}

/** Builds a {@link World} in a fresh temp dir. */
export function makeWorld(tmp: (tag?: string) => string): World {
  const base = tmp('world');
  const home = path.join(base, 'home');
  const collection = path.join(home, 'collections', 'default');
  const project = path.join(base, 'project');
  writeTree(home, { 'config.toml': '[settings]\ndefault-collection = "default"\n' });
  fs.mkdirSync(collection, { recursive: true });
  fs.mkdirSync(project, { recursive: true });
  return { home, collection, project, claude: path.join(project, '.claude'), env: { SKILLMEAT_HOME: home } };
}

/** Content of a small SKILL.md. */
export function skillMd(name: string, body = 'Do the thing.'): string {
  return `---\nname: ${name}\ndescription: ${name} for tests\n---\n\n# ${name}\n\n${body}\n`;
}

/** Adds a skill directory to a collection (or profile root) with a SKILL.md and any extra files. */
export function addSkill(base: string, name: string, extra: Record<string, string | Buffer> = {}): string {
  const dir = path.join(base, 'skills', name);
  writeTree(dir, { 'SKILL.md': skillMd(name), ...extra });
  return dir;
}

/** Adds a command (`ns/name` allowed) to a collection or profile root. */
export function addCommand(base: string, name: string, body = `Run ${name}.\n`): string {
  const p = path.join(base, 'commands', ...`${name}.md`.split('/'));
  writeTree(path.dirname(p), { [path.basename(p)]: `---\ndescription: ${name}\n---\n\n${body}` });
  return p;
}

/** Adds an agent to a collection or profile root. */
export function addAgent(base: string, name: string, body = `You are ${name}.\n`): string {
  const p = path.join(base, 'agents', `${name}.md`);
  writeTree(path.dirname(p), { [`${name}.md`]: `---\nname: ${name}\ndescription: ${name}\n---\n\n${body}` });
  return p;
}

/** Deploys from the world's default collection into `.claude` (or `root`). */
export function deploy(w: World, type: ArtifactType, name: string, opts: { force?: boolean; store?: VersionStore; root?: string; now?: () => Date } = {}): Promise<DeployResult> {
  return deployArtifact({ project: w.project, collectionPath: w.collection, collectionName: 'default', type, name, ...opts });
}

/** Runs a drift check of the world's project with its home. */
export function check(w: World, opts: Partial<CheckOptions> = {}): DriftReport {
  return checkDrift({ project: w.project, env: w.env, ...opts });
}

/** The one reported artifact of this type and name (asserting there is exactly one). */
export function find(report: DriftReport, type: ArtifactType, name: string, root = '.claude'): ArtifactDrift {
  const hits = report.artifacts.filter((a) => a.type === type && a.name === name && a.root === root);
  if (hits.length !== 1) throw new Error(`expected one ${type} "${name}" in ${root}, found ${hits.length}: ${JSON.stringify(report.artifacts.map((a) => `${a.state} ${a.type} ${a.name}`))}`);
  return hits[0];
}

/** The state of one artifact in a report. */
export function stateOf(report: DriftReport, type: ArtifactType, name: string, root = '.claude'): string {
  return find(report, type, name, root).state;
}

/** Appends to a file (an edit). */
export function edit(file: string, text = '\nedited\n'): void {
  fs.appendFileSync(file, text);
}

function sha256(data: Buffer | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * SkillMeat's content hash, written independently of src/core: a file is sha256(bytes); a directory is
 * one sha256 over `relpath_utf8 || bytes` of every regular file, sorted as Python sorts `Path`s (by
 * components, by code point), nothing excluded.
 */
export function independentSkillmeatHash(abs: string): string {
  const st = fs.statSync(abs);
  if (st.isFile()) return sha256(fs.readFileSync(abs));
  const files: string[][] = [];
  const walk = (dir: string, parts: string[]): void => {
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      const s = fs.statSync(p);
      if (s.isDirectory()) walk(p, [...parts, name]);
      else if (s.isFile()) files.push([...parts, name]);
    }
  };
  walk(abs, []);
  const cmpStr = (a: string, b: string): number => {
    const x = [...a].map((c) => c.codePointAt(0)!);
    const y = [...b].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };
  files.sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = cmpStr(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  });
  const h = crypto.createHash('sha256');
  for (const parts of files) {
    h.update(Buffer.from(parts.join('/'), 'utf8'));
    h.update(fs.readFileSync(path.join(abs, ...parts)));
  }
  return h.digest('hex');
}

/** A `[[deployed]]` table written by hand the way SkillMeat (tomli_w) writes it, with no key of ours. */
export function skillmeatRecordText(r: { name: string; type: string; path: string; hash: string; collection?: string; at?: string; extra?: string }): string {
  return [
    '[[deployed]]',
    `artifact_name = "${r.name}"`,
    `artifact_type = "${r.type}"`,
    `from_collection = "${r.collection ?? 'default'}"`,
    `deployed_at = "${r.at ?? '2026-01-01T00:00:00.000000'}"`,
    `artifact_path = "${r.path}"`,
    `content_hash = "${r.hash}"`,
    'local_modifications = false',
    ...(r.extra ? [r.extra] : []),
    `collection_sha = "${r.hash}"`,
    '',
  ].join('\n');
}

/** Writes `.skillmeat-deployed.toml` in a profile root from record texts, blank lines between tables. */
export function writeRecordsFile(rootDir: string, records: string[]): string {
  const file = path.join(rootDir, '.skillmeat-deployed.toml');
  fs.mkdirSync(rootDir, { recursive: true });
  fs.writeFileSync(file, records.join('\n'));
  return file;
}

/** One entry of a directory snapshot. */
export interface SnapshotEntry { kind: 'file' | 'dir' | 'link' | 'other'; size: number; mtimeMs: number; mode: number; sha256?: string; target?: string }

/** Every path below `dir` with kind, size, mtime, mode and content hash, to compare before/after. */
export function snapshotDir(dir: string): Map<string, SnapshotEntry> {
  const out = new Map<string, SnapshotEntry>();
  const walk = (abs: string, rel: string): void => {
    const st = fs.lstatSync(abs);
    const base = { size: st.size, mtimeMs: st.mtimeMs, mode: st.mode };
    if (st.isSymbolicLink()) out.set(rel, { kind: 'link', ...base, target: fs.readlinkSync(abs) });
    else if (st.isFile()) out.set(rel, { kind: 'file', ...base, sha256: sha256(fs.readFileSync(abs)) });
    else if (st.isDirectory()) {
      out.set(rel, { kind: 'dir', ...base });
      for (const e of fs.readdirSync(abs).sort()) walk(path.join(abs, e), rel ? `${rel}/${e}` : e);
    } else out.set(rel, { kind: 'other', ...base });
  };
  walk(dir, '');
  return out;
}

/** A CliIO that records what the CLI prints. */
export interface CapturedIO extends CliIO {
  stdout: string[];
  stderr: string[];
}

export function captureIO(opts: { env?: NodeJS.ProcessEnv; cwd?: string; isTTY?: boolean } = {}): CapturedIO {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout, stderr,
    out: (s) => { stdout.push(s); },
    err: (s) => { stderr.push(s); },
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    isTTY: opts.isTTY ?? false,
  };
}

/** Files below `dir` whose names look like this product's temp / staging files. */
export function leftoverTemps(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (/\.(tmp|lock)$|\.(deploy|prev|old|del|undeploy|tmp)-\d+-[0-9a-f]+$/.test(e.name)) out.push(path.join(d, e.name));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** True when the current process can read a file whose mode is 000 (root can). */
export function canReadMode000(tmp: string): boolean {
  const p = path.join(tmp, 'mode000-probe');
  fs.writeFileSync(p, 'x');
  fs.chmodSync(p, 0o000);
  try { fs.readFileSync(p); return true; } catch { return false; } finally { fs.chmodSync(p, 0o600); fs.rmSync(p); }
}

/**
 * Makes `file` (created with one byte) unreadable to the code under test, and returns the undo: mode 000 where
 * permissions are enforced; as root, which reads anything, an EACCES injected into `fs.openSync` for that path
 * (the product's modules read through to the module object patched here).
 */
export function makeUnreadable(file: string, tmp: string): () => void {
  fs.writeFileSync(file, 'x');
  if (!canReadMode000(tmp)) {
    fs.chmodSync(file, 0o000);
    return () => fs.chmodSync(file, 0o600);
  }
  const real = module.require('node:fs') as { openSync: typeof fs.openSync };
  const open = real.openSync;
  real.openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    if (path.resolve(String(p)) === path.resolve(file)) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES', path: file });
    return (open as (...a: unknown[]) => number)(p, ...rest);
  }) as typeof fs.openSync;
  return () => { real.openSync = open; };
}
