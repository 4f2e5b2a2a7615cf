// "Show Last Log" of a generator as a read-only virtual document: the full output of the last run in this
// window, else the tail the run record keeps (runs from the CLI or an earlier session).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GeneratorEntry, GeneratorsService } from './service';
import { GENERATOR_LOG_SCHEME } from '../platform/ids';

/** The URI of an entry's last-log document; the skill directory travels in the query. */
export function lastLogUri(e: GeneratorEntry): vscode.Uri {
  return vscode.Uri.from({ scheme: GENERATOR_LOG_SCHEME, path: `/${e.gen.name}.log`, query: new URLSearchParams({ skill: e.gen.skillDir }).toString() });
}

export class GeneratorLastLogProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this._onDidChange.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly service: GeneratorsService) {
    // an open log document follows the next run
    this.sub = service.onDidChange((entries) => {
      for (const doc of vscode.workspace.textDocuments) {
        if (doc.uri.scheme !== GENERATOR_LOG_SCHEME) continue;
        const skill = new URLSearchParams(doc.uri.query).get('skill');
        if (skill && entries.some((e) => path.resolve(e.gen.skillDir) === path.resolve(skill))) this._onDidChange.fire(doc.uri);
      }
    });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const skill = new URLSearchParams(uri.query).get('skill') ?? '';
    const live = this.service.lastLog(skill);
    if (live !== undefined) return live;
    const entry = this.service.entries.find((e) => path.resolve(e.gen.skillDir) === path.resolve(skill));
    const r = entry?.lastRun;
    if (!r) return vscode.l10n.t('{0} has not run yet. Run it with "SkillMeat: Generate…".', skill);
    return [
      vscode.l10n.t('# Last run of {0} at {1}: {2} in {3} ms (exit code {4})', entry.gen.id, r.at, r.ok ? vscode.l10n.t('ok') : r.outcome, r.durationMs, String(r.exitCode ?? r.signal ?? '—')),
      vscode.l10n.t('# Only the end of the output is kept between sessions; run it again for the full log.'),
      '',
      r.logTail,
      '',
      r.message,
      '',
    ].join('\n');
  }

  dispose(): void {
    this.sub.dispose();
    this._onDidChange.dispose();
  }
}
