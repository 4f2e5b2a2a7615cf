// Generators as VS Code tasks (type `skillmeat-sync`): "Generate <skill>" per generator, plus "Generate all"
// and "Generate stale". A CustomExecution runs the core runner in the extension host — the same runner,
// trust gate, shim and state database as the view — and prints the generator's output to the task terminal;
// the task's exit code is non-zero when a generator fails. A task never asks: an output edited by hand is
// kept unless the task definition says `"force": true`.
import * as vscode from 'vscode';
import type { GeneratorRunResult } from '../../core/generators';
import type { GeneratorEntry, GeneratorsService } from './service';
import { GENERATOR_TASK_TYPE } from '../platform/ids';

/** The `tasks.json` shape of a generator task. */
export interface GeneratorTaskDefinition extends vscode.TaskDefinition {
  type: typeof GENERATOR_TASK_TYPE;
  /** A generator id (`.claude/skills/notes`) or skill name; omitted with `selection`. */
  skill?: string;
  /** `all` or `stale` generators of every folder. */
  selection?: 'all' | 'stale';
  force?: boolean;
}

/** Terminal text: the task terminal wants CRLF. */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

class GeneratorTaskTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly abort = new AbortController();

  constructor(private readonly service: GeneratorsService, private readonly def: GeneratorTaskDefinition) {}

  open(): void {
    void this.run().then(
      (code) => this.finish(code),
      (e) => { this.print(`\n${vscode.l10n.t('SkillMeat Sync: the task failed: {0}', (e as Error).message)}\n`); this.finish(1); },
    );
  }

  close(): void {
    // the user closed the terminal or terminated the task: stop the generator, its output stays as it was
    this.abort.abort();
  }

  private print(text: string): void { this.writeEmitter.fire(crlf(text)); }

  private finish(code: number): void {
    this.closeEmitter.fire(code);
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }

  private report(id: string, r: GeneratorRunResult): void {
    this.print(`${r.ok ? '✓' : '✗'} ${id}: ${r.message}\n`);
  }

  private async run(): Promise<number> {
    if (!this.service.isTrusted()) {
      this.print(`${vscode.l10n.t('Generators run only in trusted workspaces: a SYNC.json generator executes a script from this workspace. Trust the workspace, then run the task again.')}\n`);
      return 1;
    }
    const entries = await this.service.refresh();
    const onLog = (text: string): void => this.print(text);
    const req = { force: this.def.force === true, signal: this.abort.signal, onLog };
    if (this.def.skill !== undefined) {
      const e = this.service.find(this.def.skill);
      if (!e) {
        this.print(`${vscode.l10n.t('No skill with a SYNC.json matches "{0}" (found: {1}). Fix "skill" in the task definition.', this.def.skill, entries.map((x) => x.gen.id).join(', ') || '—')}\n`);
        return 2;
      }
      const r = await this.service.run(e, req);
      this.report(e.gen.id, r);
      return r.ok ? 0 : 1;
    }
    const selection = this.def.selection === 'stale' ? 'stale' : 'all';
    let ok = true;
    let generated = 0;
    let failed = 0;
    let upToDate = 0;
    for (const folderPath of [...new Set(entries.map((e) => e.folderPath))]) {
      const batch = await this.service.runBatch(folderPath, selection, req);
      ok &&= batch.ok;
      for (const item of batch.items) {
        if (item.skipped) { upToDate++; this.print(`= ${item.generator.id}: ${vscode.l10n.t('up to date')}\n`); }
        else if (item.result) { if (item.result.ok) generated++; else failed++; this.report(item.generator.id, item.result); }
      }
    }
    this.print(`${vscode.l10n.t('{0} generated, {1} failed, {2} up to date.', generated, failed, upToDate)}\n`);
    return ok ? 0 : 1;
  }
}

export class GeneratorTaskProvider implements vscode.TaskProvider<vscode.Task> {
  constructor(private readonly service: GeneratorsService) {}

  private scopeOf(e?: GeneratorEntry): vscode.WorkspaceFolder | vscode.TaskScope {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const own = e ? folders.find((f) => f.uri.fsPath === e.folderPath) : undefined;
    return own ?? folders[0] ?? vscode.TaskScope.Workspace;
  }

  private build(def: GeneratorTaskDefinition, name: string, scope: vscode.WorkspaceFolder | vscode.TaskScope): vscode.Task {
    const task = new vscode.Task(def, scope, name, 'SkillMeat', new vscode.CustomExecution(async (resolved) => new GeneratorTaskTerminal(this.service, resolved as GeneratorTaskDefinition)));
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Silent, clear: true };
    task.detail = def.skill !== undefined
      ? vscode.l10n.t('Runs the SYNC.json generator of {0}', def.skill)
      : def.selection === 'stale' ? vscode.l10n.t('Runs every generator whose output is stale') : vscode.l10n.t('Runs every SYNC.json generator of the workspace');
    return task;
  }

  async provideTasks(): Promise<vscode.Task[]> {
    const entries = await this.service.refresh();
    if (entries.length === 0) return [];
    const tasks = entries.filter((e) => e.gen.valid).map((e) =>
      this.build({ type: 'skillmeat-sync', skill: e.gen.id }, vscode.l10n.t('Generate {0}', e.gen.name), this.scopeOf(e)));
    tasks.push(
      this.build({ type: 'skillmeat-sync', selection: 'all' }, vscode.l10n.t('Generate all'), this.scopeOf()),
      this.build({ type: 'skillmeat-sync', selection: 'stale' }, vscode.l10n.t('Generate stale'), this.scopeOf()),
    );
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    // a task from tasks.json: keep its definition and scope, supply the execution
    const def = task.definition as GeneratorTaskDefinition;
    if (def.type !== 'skillmeat-sync') return undefined;
    const scope = task.scope ?? this.scopeOf();
    const resolved = new vscode.Task(def, scope, task.name, 'SkillMeat', new vscode.CustomExecution(async () => new GeneratorTaskTerminal(this.service, def)));
    resolved.presentationOptions = task.presentationOptions;
    return resolved;
  }
}
