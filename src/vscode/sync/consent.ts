// Consent before anything of the project enters a shared collection (SPEC §8): asked once per collection and
// remembered (globalState, so per user, not per workspace), revocable with "Revoke Consent to Write into a
// Collection". "Allow Once" lets one sync through without remembering.
import * as vscode from 'vscode';

const KEY = 'skillmeatSync.collectionConsent';

export class CollectionConsent {
  constructor(private readonly memento: vscode.Memento) {}

  /** Collections the user allowed for good. */
  allowed(): string[] { return this.memento.get<string[]>(KEY, []); }

  has(dir: string): boolean { return this.allowed().includes(dir); }

  async allow(dir: string): Promise<void> {
    if (!this.has(dir)) await this.memento.update(KEY, [...this.allowed(), dir].sort());
  }

  async revoke(dir: string): Promise<boolean> {
    if (!this.has(dir)) return false;
    await this.memento.update(KEY, this.allowed().filter((d) => d !== dir));
    return true;
  }

  /** Asks for each collection not allowed yet; true when the sync may write into all of them. */
  async ensure(dirs: readonly string[]): Promise<boolean> {
    for (const dir of [...new Set(dirs)].filter((d) => !this.has(d))) {
      const always = vscode.l10n.t('Allow');
      const once = vscode.l10n.t('Allow Once');
      const pick = await vscode.window.showWarningMessage(
        vscode.l10n.t('Write into the shared collection {0}?', dir),
        { modal: true, detail: vscode.l10n.t('Every project that updates from this collection will receive what this sync writes there. Files are scanned for secrets first. "Allow" remembers your answer for this collection (revoke it with "SkillMeat: Revoke Consent to Write into a Collection").') },
        always, once);
      if (pick === always) await this.allow(dir);
      else if (pick !== once) return false;
    }
    return true;
  }
}
