// Keeps the list of SYNC.json generators of the window and their status (stale, edited by hand, last run)
// up to date, and runs them with the core runner. The Generators view, the palette commands, the tasks,
// the diagnostics, auto-regenerate and the API all read from and run through this one service, so the
// state database is opened once per folder and a run anywhere refreshes every surface.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DEFAULT_TIMEOUT_MS, LineSplitter, defaultStateDbPath, detectStateKind, discoverGenerators, generatorStatus, openStateSource, readRunRecords,
  runGenerator, runGenerators, runRecordFileFor,
} from '../../core/generators';
import type {
  BatchItem, DiscoveredGenerator, GenerateSelection, GeneratorRunResult, GeneratorStatus, LastRun, RunGeneratorOptions, ShimCommand,
  StateKind, StateSource,
} from '../../core/generators';
import { GENERATOR_CONTEXT, GENERATOR_SETTINGS } from '../platform/ids';
import type { Operations } from '../platform/operations';
import type { ArtifactWatcher } from '../platform/watcher';
import { isStagingPath } from '../../core/store/fsutil';
import { defaultStoreDir } from '../../core/store/versionStore';
import { skillmeatHome } from '../../core/store/skillmeatHome';
import type { StoreKeyProvider } from '../../core/store/storeEncryption';

/** Window-wide generator settings (`skillmeatSync.generators.*`). */
export interface GeneratorSettings {
  extraSkillDirs: string[];
  allowedOutputDirs: string[];
  /** The folder standing for ambrogio's `/data` in an outputFile such as `/data/MEMORY.md`. */
  dataRoot?: string;
  /** Run generators outside their skill directory, as ambrogio does. */
  allowGeneratorsOutsideSkill: boolean;
  timeoutMs: number;
  autoRegenerate: boolean;
}

/** One skill with a SYNC.json as the surfaces show it. */
export interface GeneratorEntry {
  readonly gen: DiscoveredGenerator;
  /** The workspace folder whose state database and relative outputs the generator uses. */
  readonly folderPath: string;
  readonly status?: GeneratorStatus;
  /** Why the status could not be computed (state database unreadable, …). */
  readonly statusError?: string;
  /** The last run, also for invalid manifests (whose status is not computed). */
  readonly lastRun?: LastRun;
  readonly running: boolean;
}

interface FolderState {
  folderPath: string;
  dbPath: string;
  kind: StateKind;
  runRecordFile: string;
  source?: StateSource;
  problem?: string;
}

/** Debounce for watcher bursts (a checkout, a generator's temp file and rename, a WAL checkpoint). */
export const GENERATORS_REFRESH_DEBOUNCE_MS = 200;
const LAST_LOG_LIMIT = 256 * 1024;

function expandPath(raw: string, base: string | undefined): string {
  const home = process.env.HOME ?? '~';
  const expanded = raw.trim().replace(/^~(?=$|[\\/])/, home).replace(/\$\{workspaceFolder\}/g, base ?? '');
  return base ? path.resolve(base, expanded) : path.resolve(expanded);
}

function fileFolders(): vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
}

/** Reads the window-wide generator settings; relative paths resolve against the first workspace folder. */
export function readGeneratorSettings(): GeneratorSettings {
  const c = vscode.workspace.getConfiguration(GENERATOR_SETTINGS.section);
  const first = fileFolders()[0]?.uri.fsPath;
  const paths = (key: string): string[] => (c.get<string[]>(key) ?? []).filter((s) => typeof s === 'string' && s.trim() !== '').map((s) => expandPath(s, first));
  const seconds = c.get<number>(GENERATOR_SETTINGS.timeoutSeconds) ?? DEFAULT_TIMEOUT_MS / 1000;
  const dataRoot = c.get<string>(GENERATOR_SETTINGS.dataRoot)?.trim();
  return {
    extraSkillDirs: paths(GENERATOR_SETTINGS.extraSkillDirs),
    allowedOutputDirs: paths(GENERATOR_SETTINGS.allowedOutputDirs),
    dataRoot: dataRoot ? expandPath(dataRoot, first) : undefined,
    allowGeneratorsOutsideSkill: c.get<boolean>(GENERATOR_SETTINGS.allowGeneratorsOutsideSkill) ?? false,
    timeoutMs: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : DEFAULT_TIMEOUT_MS,
    autoRegenerate: c.get<boolean>(GENERATOR_SETTINGS.autoRegenerate) ?? false,
  };
}

/** The state database of a folder: the setting (resource scope), else the product's per-workspace default. */
function stateDbPathOf(folderPath: string, env: NodeJS.ProcessEnv): string {
  const raw = vscode.workspace.getConfiguration(GENERATOR_SETTINGS.section, vscode.Uri.file(folderPath)).get<string>(GENERATOR_SETTINGS.stateDatabase)?.trim();
  return raw ? expandPath(raw, folderPath) : defaultStateDbPath(folderPath, env);
}

/** What a run reports back while it goes (the log channel, a task's terminal, the "last log" document). */
export type RunLog = (text: string, stream: 'stdout' | 'stderr' | 'info') => void;

export interface RunRequest {
  force?: boolean;
  signal?: AbortSignal;
  /** Extra sink for the run's output (a task terminal); the log channel always gets it. */
  onLog?: RunLog;
}

export class GeneratorsService implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<readonly GeneratorEntry[]>();
  /** Fires after every refresh with all entries. */
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidChangeState = new vscode.EventEmitter<string>();
  /** Fires (with the workspace folder path) when a folder's state database or its WAL changes on disk. */
  readonly onDidChangeState = this._onDidChangeState.event;

  private list: GeneratorEntry[] = [];
  private readonly folders = new Map<string, FolderState>();
  private readonly running = new Set<string>();
  private readonly lastLogs = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  private watchers: vscode.Disposable[] = [];
  private watchKey = '';
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<readonly GeneratorEntry[]> | undefined;
  private again = false;
  private checked = false;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly shim: ShimCommand,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly operations?: Operations,
    watcher?: ArtifactWatcher,
    /** The key of the version store: the own state database is encrypted with it when the store is. */
    private readonly storeKeys?: StoreKeyProvider,
  ) {
    this.disposables.push(
      // Skills under a folder's profile roots come from the shared watcher (staging files already dropped).
      ...(watcher ? [watcher.onDidChange((c) => { if (c.folder && /[\\/]skills[\\/]/.test(c.uri.fsPath)) this.schedule(); })] : []),
      this._onDidChange, this._onDidChangeState,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.schedule()),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration(GENERATOR_SETTINGS.section)) this.schedule(); }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.schedule()),
    );
  }

  /** The entries of the last refresh. */
  get entries(): readonly GeneratorEntry[] { return this.list; }

  /** Whether generators may run here (Workspace Trust). Read on every call: trust can be granted at any time. */
  isTrusted(): boolean { return vscode.workspace.isTrusted; }

  /** Finds an entry by id (`.claude/skills/notes`), skill name, skill directory or manifest path. */
  find(selector: string): GeneratorEntry | undefined {
    const abs = path.isAbsolute(selector) ? path.resolve(selector) : undefined;
    return this.list.find((e) => e.gen.id === selector || (abs !== undefined && (e.gen.skillDir === abs || e.gen.file === abs)))
      ?? this.list.find((e) => e.gen.name === selector);
  }

  /** The output of the generator's last run in this window (header, stdout, stderr, result). */
  lastLog(skillDir: string): string | undefined { return this.lastLogs.get(path.resolve(skillDir)); }

  /** Schedules a debounced refresh. */
  schedule(delay = GENERATORS_REFRESH_DEBOUNCE_MS): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; void this.refresh(); }, delay);
  }

  /** Rediscovers, revalidates and recomputes every status now; concurrent calls share one run, a call during a run queues one more. */
  refresh(): Promise<readonly GeneratorEntry[]> {
    if (this.refreshing) { this.again = true; return this.refreshing; }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          this.list = await this.compute();
        } while (this.again);
      } catch (e) {
        this.log.error(`generators: refresh failed: ${(e as Error).stack ?? e}`);
      } finally {
        this.refreshing = undefined;
      }
      if (!this.checked) {
        this.checked = true;
        void vscode.commands.executeCommand('setContext', GENERATOR_CONTEXT.checked, true);
      }
      this._onDidChange.fire(this.list);
      return this.list;
    })();
    return this.refreshing;
  }

  /** The state database of a workspace folder (opened once, re-detected when its kind changes). */
  async stateOf(folderPath: string): Promise<{ path: string; source?: StateSource; problem?: string }> {
    const st = await this.folderState(folderPath);
    return { path: st.dbPath, ...(st.source ? { source: st.source } : {}), ...(st.problem ? { problem: st.problem } : {}) };
  }

  /** Runs a writer of a folder's state database as an operation (not exclusive: the version store is not touched). */
  writeState<T>(dbPath: string, title: string, fn: () => Promise<T>): Promise<T> {
    return this.operations ? this.operations.run('import', [dbPath], fn, { title, exclusive: false }) : fn();
  }

  private async folderState(folderPath: string): Promise<FolderState> {
    const dbPath = stateDbPathOf(folderPath, this.env);
    // a database that grew a -wal file is ambrogio's (read-only); re-detected each time, it is cheap
    const kind = detectStateKind(dbPath);
    let fs0 = this.folders.get(folderPath);
    if (!fs0 || fs0.dbPath !== dbPath || fs0.kind !== kind || (!fs0.source && fs0.problem)) {
      fs0 = { folderPath, dbPath, kind, runRecordFile: runRecordFileFor({ path: dbPath, kind }, folderPath, this.env) };
      if (dbPath === defaultStateDbPath(folderPath, this.env)) {
        // the default lives under the SkillMeat home and is created by the first write; making its folder
        // now lets the watcher see that first write (watching a missing folder reports nothing)
        try { fs.mkdirSync(path.dirname(dbPath), { recursive: true }); } catch { /* reported when it is used */ }
      }
      try {
        fs0.source = await openStateSource({ path: dbPath, kind }, { encryption: { storeDir: defaultStoreDir(skillmeatHome(this.env)), keys: this.storeKeys } });
      } catch (e) {
        fs0.problem = vscode.l10n.t('Cannot open the state database {0}: {1}', dbPath, (e as Error).message);
        this.log.warn(`generators: ${fs0.problem}`);
      }
      this.folders.set(folderPath, fs0);
    }
    return fs0;
  }

  private async compute(): Promise<GeneratorEntry[]> {
    const settings = readGeneratorSettings();
    const folderPaths = fileFolders().map((f) => f.uri.fsPath);
    const gens = folderPaths.length === 0 && settings.extraSkillDirs.length === 0
      ? []
      : discoverGenerators(folderPaths, {
        extraSkillDirs: settings.extraSkillDirs, allowedOutputDirs: settings.allowedOutputDirs,
        dataRoot: settings.dataRoot, allowGeneratorsOutsideSkill: settings.allowGeneratorsOutsideSkill,
      });
    const out: GeneratorEntry[] = [];
    for (const gen of gens) {
      const folderPath = path.resolve(gen.workspaceFolder);
      const st = await this.folderState(folderPath);
      let status: GeneratorStatus | undefined;
      let statusError = st.problem;
      if (st.source) {
        try { status = generatorStatus(gen, { state: st.source, runRecordFile: st.runRecordFile }); } catch (e) { statusError = (e as Error).message; }
      }
      const lastRun = status?.lastRun ?? readRunRecords(st.runRecordFile)[path.resolve(gen.skillDir)]?.lastRun;
      out.push({ gen, folderPath, status, statusError, lastRun, running: this.running.has(path.resolve(gen.skillDir)) });
    }
    this.rewatch(out, folderPaths, settings);
    return out;
  }

  /** The product's own state databases of the open folders (converted with the version store's encryption). */
  ownStateFiles(): string[] {
    return [...this.folders.values()].filter((f) => f.kind === 'own').map((f) => f.dbPath);
  }

  /** Opens every state database again (the version store's encryption changed: other keys), then refreshes. */
  reopenStates(): void {
    this.folders.clear();
    this.schedule();
  }

  /** Watches manifests and generator scripts, outputs, state databases (and WAL) and run records. */
  private rewatch(entries: readonly GeneratorEntry[], folderPaths: readonly string[], settings: GeneratorSettings): void {
    const patterns: { base: string; glob: string; stateOf?: string }[] = [];
    for (const d of settings.extraSkillDirs) patterns.push({ base: d, glob: '**' });
    for (const e of entries) if (e.gen.outputPath) patterns.push({ base: path.dirname(e.gen.outputPath), glob: path.basename(e.gen.outputPath) });
    for (const st of this.folders.values()) {
      if (!folderPaths.includes(st.folderPath) && !entries.some((e) => e.folderPath === st.folderPath)) continue;
      const db = path.basename(st.dbPath);
      patterns.push({ base: path.dirname(st.dbPath), glob: `{${db},${db}-wal}`, stateOf: st.folderPath });
      patterns.push({ base: path.dirname(st.runRecordFile), glob: path.basename(st.runRecordFile) });
    }
    const key = JSON.stringify(patterns);
    if (key === this.watchKey) return;
    this.watchKey = key;
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
    for (const p of patterns) {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(p.base), p.glob));
      const on = (uri: vscode.Uri): void => {
        // the runner's and the store's own staging files (".NOTES.md.gen-…", temp files, locks) are not changes
        if (isStagingPath(uri.fsPath)) return;
        if (p.stateOf) this._onDidChangeState.fire(p.stateOf);
        this.schedule();
      };
      w.onDidChange(on); w.onDidCreate(on); w.onDidDelete(on);
      this.watchers.push(w);
    }
  }

  private runOptions(st: FolderState, settings: GeneratorSettings, req: RunRequest, logSink: RunLog): RunGeneratorOptions {
    if (!st.source) throw new Error(st.problem ?? vscode.l10n.t('The state database {0} is not open.', st.dbPath));
    // The extension host runs as Node through ELECTRON_RUN_AS_NODE; a generator that starts an Electron app
    // (`code`, …) must not inherit it. The shim sets it again for the one program that needs it.
    const env = { ...this.env };
    delete env.ELECTRON_RUN_AS_NODE;
    return {
      state: st.source,
      shim: this.shim,
      isTrusted: () => this.isTrusted(),
      runRecordFile: st.runRecordFile,
      allowedOutputDirs: settings.allowedOutputDirs,
      dataRoot: settings.dataRoot,
      allowGeneratorsOutsideSkill: settings.allowGeneratorsOutsideSkill,
      force: req.force,
      timeoutMs: settings.timeoutMs,
      env,
      signal: req.signal,
      log: logSink,
    };
  }

  /** A log sink that writes to the channel (line by line, prefixed with the skill) and keeps the run's text. */
  private logSinkFor(gen: DiscoveredGenerator, extra?: RunLog): { sink: RunLog; done: () => void } {
    const key = path.resolve(gen.skillDir);
    let text = `# ${gen.id} — ${new Date().toISOString()}\n`;
    const lines = new Map<string, LineSplitter>();
    const splitterOf = (stream: string): LineSplitter => {
      let s = lines.get(stream);
      if (!s) {
        s = new LineSplitter((line) => (stream === 'stderr' ? this.log.warn(`[${gen.name}] ${line}`) : this.log.info(`[${gen.name}] ${line}`)));
        lines.set(stream, s);
      }
      return s;
    };
    const sink: RunLog = (chunk, stream) => {
      text = (text + chunk).slice(-LAST_LOG_LIMIT);
      splitterOf(stream).write(chunk);
      extra?.(chunk, stream);
    };
    const done = (): void => {
      for (const s of lines.values()) s.flush();
      this.lastLogs.set(key, text);
    };
    return { sink, done };
  }

  private setRunning(gen: DiscoveredGenerator, on: boolean): void {
    const key = path.resolve(gen.skillDir);
    if (on) this.running.add(key); else this.running.delete(key);
    this.list = this.list.map((e) => (path.resolve(e.gen.skillDir) === key ? { ...e, running: on } : e));
    this._onDidChange.fire(this.list);
  }

  /**
   * A generator's output is a product write: an output inside an artifact (e.g. a skill's own MEMORY.md) is
   * recorded by History with the origin "generator", never as a user edit. Generators do not write the
   * version store, so they do not wait for the store's other writers, and show their own progress.
   */
  private asOwnWrite<T>(gen: DiscoveredGenerator, fn: () => Promise<T>): Promise<T> {
    if (!this.operations) return fn();
    return this.operations.run('generate', gen.outputPath ? [gen.outputPath] : [], fn, { title: vscode.l10n.t('Generating {0}', gen.name), progress: false, exclusive: false });
  }

  /** Runs one generator (never throws for the generator's own failure); refreshes every surface after. */
  async run(entry: GeneratorEntry, req: RunRequest = {}): Promise<GeneratorRunResult> {
    const settings = readGeneratorSettings();
    const st = await this.folderState(entry.folderPath);
    const { sink, done } = this.logSinkFor(entry.gen, req.onLog);
    this.setRunning(entry.gen, true);
    try {
      const result = await this.asOwnWrite(entry.gen, () => runGenerator(entry.gen, this.runOptions(st, settings, req, sink)));
      this.logResult(entry.gen, result);
      return result;
    } finally {
      done();
      this.setRunning(entry.gen, false);
      this.schedule(0);
    }
  }

  /**
   * Runs the generators of one folder with the core batch runner (`stale`: only those whose status is
   * stale). One batch per generator, so each run gets its own log prefix, "last log" and running marker.
   * `include` narrows the generators considered (auto-regenerate leaves invalid manifests to the view).
   */
  async runBatch(
    folderPath: string, selection: GenerateSelection, req: RunRequest = {}, include: (e: GeneratorEntry) => boolean = () => true,
  ): Promise<{ ok: boolean; items: BatchItem<DiscoveredGenerator>[] }> {
    const settings = readGeneratorSettings();
    const st = await this.folderState(folderPath);
    const items: BatchItem<DiscoveredGenerator>[] = [];
    try {
      for (const entry of this.list.filter((e) => e.folderPath === folderPath && include(e))) {
        if (req.signal?.aborted) break;
        const { sink, done } = this.logSinkFor(entry.gen, req.onLog);
        let ran = false;
        this.setRunning(entry.gen, true);
        try {
          const batch = await this.asOwnWrite(entry.gen, () => runGenerators([entry.gen], selection, this.runOptions(st, settings, req, sink)));
          for (const item of batch.items) if (item.result) { ran = true; this.logResult(item.generator, item.result); }
          items.push(...batch.items);
        } finally {
          // an up-to-date generator did not run: keep the log of its last real run
          if (ran) done();
          this.setRunning(entry.gen, false);
        }
      }
    } finally {
      this.schedule(0);
    }
    return { ok: items.every((i) => !i.result || i.result.ok), items };
  }

  private logResult(gen: DiscoveredGenerator, r: GeneratorRunResult): void {
    const line = `${gen.id}: ${r.ok ? 'ok' : r.outcome} in ${r.durationMs} ms — ${r.message}`;
    if (r.ok) this.log.info(line); else this.log.error(line);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
