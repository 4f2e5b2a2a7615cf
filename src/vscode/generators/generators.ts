// The SYNC.json generator feature (SPEC §7, issue 5) as one part of the container: the service, the
// Generators view, diagnostics, commands, the task provider, auto-regenerate and the API for other
// extensions and tests. Built in order, disposed in reverse.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StoreKeyProvider } from '../../core/store/storeEncryption';
import type { GeneratorRunResult, GeneratorStatus, LastRun, ManifestError, ShimCommand } from '../../core/generators';
import { GeneratorAutoRegenerate } from './autoRegenerate';
import { registerGeneratorCommands } from './commands';
import { registerBackupCommands } from './backup';
import { GeneratorDiagnostics } from './diagnostics';
import { GeneratorLastLogProvider } from './lastLog';
import { GeneratorsService, type GeneratorEntry } from './service';
import { GeneratorTaskProvider } from './tasks';
import { GeneratorsTreeProvider, bindViewMessage } from './view';
import { GENERATOR_LOG_SCHEME, GENERATOR_TASK_TYPE, GENERATOR_VIEW } from '../platform/ids';
import type { Operations } from '../platform/operations';
import type { ArtifactWatcher } from '../platform/watcher';

/** One generator as the API reports it: plain data, safe to keep. */
export interface GeneratorInfo {
  id: string;
  name: string;
  workspaceFolder: string;
  manifest: string;
  skillDir: string;
  valid: boolean;
  errors: ManifestError[];
  outputFile?: string;
  outputPath?: string;
  patterns?: string[];
  status?: GeneratorStatus;
  statusError?: string;
  lastRun?: LastRun;
  running: boolean;
}

/** `api.generators`: for other extensions and for the integration tests. */
export interface GeneratorsApi {
  /** The generators found at the last refresh. */
  list(): GeneratorInfo[];
  /** Rediscovers and recomputes every status now. */
  refresh(): Promise<GeneratorInfo[]>;
  /**
   * Runs one generator (by id, skill name, skill directory or manifest path) without asking anything: an
   * output edited by hand is refused unless `force`. Rejects only for an unknown generator.
   */
  generate(id: string, opts?: { force?: boolean }): Promise<GeneratorRunResult>;
  /** Fires after every refresh. */
  readonly onDidChange: vscode.Event<GeneratorInfo[]>;
  /** The Generators view (tests inspect it). */
  readonly treeView: vscode.TreeView<unknown>;
}

function infoOf(e: GeneratorEntry): GeneratorInfo {
  const g = e.gen;
  return {
    id: g.id, name: g.name, workspaceFolder: e.folderPath, manifest: g.file, skillDir: g.skillDir, valid: g.valid, errors: g.errors,
    outputFile: g.manifest?.outputFile, outputPath: g.outputPath, patterns: g.manifest?.patterns,
    status: e.status, statusError: e.statusError, lastRun: e.lastRun, running: e.running,
  };
}

/** How generators reach `ambrogioctl state …`: this extension's bundled CLI, run by the host's own Node. */
export function extensionShim(extensionPath: string): ShimCommand {
  // Desktop VS Code: process.execPath is the Electron binary, which acts as Node with ELECTRON_RUN_AS_NODE.
  // The server build (code-server, remote hosts) runs the extension host on plain Node, which ignores it.
  return { nodePath: process.execPath, cliPath: path.join(extensionPath, 'dist', 'cli.js'), nodeEnv: { ELECTRON_RUN_AS_NODE: '1' } };
}

export class GeneratorsFeature implements vscode.Disposable {
  private readonly parts: vscode.Disposable[] = [];
  readonly service: GeneratorsService;
  readonly treeView: vscode.TreeView<GeneratorEntry>;

  /** `after`: the first discovery waits for it (the first drift report: nobody asked for generators at start-up). */
  constructor(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, watcher: ArtifactWatcher, operations?: Operations, storeKeys?: StoreKeyProvider, after: Promise<unknown> = Promise.resolve()) {
    this.service = this.add(new GeneratorsService(log, extensionShim(context.extensionPath), process.env, operations, watcher, storeKeys));
    const tree = this.add(new GeneratorsTreeProvider(this.service));
    this.treeView = this.add(vscode.window.createTreeView(GENERATOR_VIEW, { treeDataProvider: tree }));
    this.add(bindViewMessage(this.treeView, this.service));
    this.add(new GeneratorDiagnostics(this.service));
    const lastLog = this.add(new GeneratorLastLogProvider(this.service));
    this.add(vscode.workspace.registerTextDocumentContentProvider(GENERATOR_LOG_SCHEME, lastLog));
    for (const d of registerGeneratorCommands(this.service, log)) this.add(d);
    for (const d of registerBackupCommands(this.service, log)) this.add(d);
    this.add(vscode.tasks.registerTaskProvider(GENERATOR_TASK_TYPE, new GeneratorTaskProvider(this.service)));
    this.add(new GeneratorAutoRegenerate(this.service, log));
    // the first discovery runs after activation returns and after `after`
    let disposed = false;
    void after.then(() => { if (!disposed) void this.service.refresh(); });
    this.add({ dispose: () => { disposed = true; } });
  }

  private add<T extends vscode.Disposable>(d: T): T { this.parts.push(d); return d; }

  api(): GeneratorsApi {
    const emitter = this.add(new vscode.EventEmitter<GeneratorInfo[]>());
    this.add(this.service.onDidChange((entries) => emitter.fire(entries.map(infoOf))));
    return {
      list: () => this.service.entries.map(infoOf),
      refresh: async () => (await this.service.refresh()).map(infoOf),
      generate: async (id, opts = {}) => {
        await this.service.refresh();
        const e = this.service.find(id);
        if (!e) throw new Error(vscode.l10n.t('no skill with a SYNC.json matches "{0}" (found: {1})', id, this.service.entries.map((x) => x.gen.id).join(', ') || vscode.l10n.t('none')));
        return this.service.run(e, { force: opts.force });
      },
      onDidChange: emitter.event,
      treeView: this.treeView as vscode.TreeView<unknown>,
    };
  }

  dispose(): void {
    for (const d of this.parts.reverse()) { try { d.dispose(); } catch { /* keep disposing the rest */ } }
  }
}
