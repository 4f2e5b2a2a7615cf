// Regenerates stale outputs when the state database changes (setting `skillmeatSync.generators.autoRegenerate`,
// off by default, trusted workspaces only). Bursts of writes — a script calling `state set` fifty times, a
// WAL checkpoint — become one run per folder after a quiet second.
import * as vscode from 'vscode';
import type { GeneratorsService } from './service';
import { readGeneratorSettings } from './service';

/** Quiet time after the last state change before regenerating. */
export const AUTO_REGENERATE_DEBOUNCE_MS = 1000;
/**
 * A generator that writes rows its own patterns match changes the state on every run, which would start the
 * next run. A run that starts within CHAIN_WINDOW_MS of the previous one's end counts as chained; after
 * MAX_CHAINED_RUNS of those, wait until the state has been quiet for a while.
 */
const MAX_CHAINED_RUNS = 3;
const CHAIN_WINDOW_MS = 2 * AUTO_REGENERATE_DEBOUNCE_MS;

export class GeneratorAutoRegenerate implements vscode.Disposable {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly busy = new Map<string, { again: boolean }>();
  private readonly previous = new Map<string, { endedAt: number; chained: number }>();
  /** Last reported failure per folder, so the same refusal is not shown after every state change. */
  private readonly lastReported = new Map<string, string>();
  private readonly sub: vscode.Disposable;

  constructor(private readonly service: GeneratorsService, private readonly log: vscode.LogOutputChannel, private readonly debounceMs = AUTO_REGENERATE_DEBOUNCE_MS) {
    this.sub = service.onDidChangeState((folderPath) => this.onStateChanged(folderPath));
  }

  private enabled(): boolean {
    return readGeneratorSettings().autoRegenerate && this.service.isTrusted();
  }

  private onStateChanged(folderPath: string): void {
    if (!this.enabled()) return;
    const running = this.busy.get(folderPath);
    if (running) { running.again = true; return; }
    this.schedule(folderPath);
  }

  private schedule(folderPath: string): void {
    const t = this.timers.get(folderPath);
    if (t) clearTimeout(t);
    this.timers.set(folderPath, setTimeout(() => { this.timers.delete(folderPath); void this.run(folderPath); }, this.debounceMs));
  }

  private async run(folderPath: string): Promise<void> {
    if (!this.enabled()) return;
    const prev = this.previous.get(folderPath);
    const chained = prev && Date.now() - prev.endedAt < CHAIN_WINDOW_MS ? prev.chained + 1 : 0;
    if (chained >= MAX_CHAINED_RUNS) {
      if (chained === MAX_CHAINED_RUNS) this.log.warn(`generators: the state of ${folderPath} changed after each of ${MAX_CHAINED_RUNS} automatic runs; pausing until it is quiet (does a generator write the rows it reads?)`);
      this.previous.set(folderPath, { endedAt: Date.now(), chained });
      return;
    }
    const mark = { again: false };
    this.busy.set(folderPath, mark);
    try {
      await this.service.refresh();
      // an invalid manifest is already in the view and the Problems panel; failing it on every change is noise
      const batch = await this.service.runBatch(folderPath, 'stale', {}, (e) => e.gen.valid);
      const ran = batch.items.filter((i) => i.result);
      if (ran.length > 0) this.log.info(`generators: auto-regenerated ${ran.map((i) => `${i.generator.id} (${i.result!.ok ? 'ok' : i.result!.outcome})`).join(', ')}`);
      const failed = ran.filter((i) => !i.result!.ok);
      const key = failed.map((i) => `${i.generator.file}:${i.result!.outcome}`).join('|');
      if (failed.length > 0 && key !== this.lastReported.get(folderPath)) {
        const first = failed[0];
        const show = vscode.l10n.t('Show Log');
        const text = first.result!.outcome === 'edited-by-hand'
          ? vscode.l10n.t('SkillMeat Sync did not regenerate {0} automatically: it was edited by hand. Run "SkillMeat: Generate…" to choose whether to overwrite it.', first.result!.outputPath ?? first.generator.id)
          : vscode.l10n.t('SkillMeat Sync: automatic regeneration of {0} failed: {1}', first.generator.id, first.result!.message);
        void vscode.window.showWarningMessage(text, show).then((pick) => { if (pick === show) this.log.show(); });
      }
      this.lastReported.set(folderPath, key);
    } catch (e) {
      this.log.error(`generators: auto-regenerate failed: ${(e as Error).stack ?? e}`);
    } finally {
      this.busy.delete(folderPath);
      this.previous.set(folderPath, { endedAt: Date.now(), chained });
    }
    if (mark.again) this.schedule(folderPath);
  }

  dispose(): void {
    this.sub.dispose();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
