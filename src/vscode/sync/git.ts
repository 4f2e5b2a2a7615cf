// Team collections on git in VS Code: before an update, offer to fast-forward a collection that is behind its
// upstream ("Fast-forward first?"); after a pull into a git collection, offer to commit exactly what it wrote
// (and push). Never a merge or a rebase. Questions are non-modal (a quick pick, a notification); tests and
// other extensions can pre-answer them through `api.sync.git`, as `api.sync.consent` pre-answers consent.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { commitPulled, fastForwardCollection, pullCommitMessage, pulledByRepo } from '../../core/git/collectionGit';
import { GitError } from '../../core/git/git';
import type { SyncResult } from '../../core/sync';
import type { FolderReport } from '../drift/driftService';
import { gitCollections } from '../drift/gitState';
import type { Operations } from '../platform/operations';

export type FastForwardAnswer = 'fast-forward' | 'update-without' | 'cancel';
export type CommitAnswer = 'commit' | 'commit-and-push' | 'not-now';

/** `api.sync.git`: answers given in advance (undefined: ask the user), and what the last commit offer did. */
export interface GitAnswers {
  fastForward?: FastForwardAnswer;
  commit?: CommitAnswer;
}

export class CollectionGit {
  /** Answers given in advance; each question asks the user when its answer is undefined. */
  readonly answers: GitAnswers = {};

  constructor(private readonly log: vscode.LogOutputChannel, private readonly operations: Operations, private readonly env: NodeJS.ProcessEnv = process.env) {}

  /**
   * Before an update of `folders`: for each collection behind its upstream (as of the last fetch), asks
   * "Fast-forward first?" and fetches + fast-forwards on yes. False when the user cancelled or the
   * fast-forward was refused (the update then does not run).
   */
  async offerFastForward(folders: readonly FolderReport[]): Promise<boolean> {
    for (const c of gitCollections(folders)) {
      if (!c.git.upstreamKnown || c.git.behind === 0 || !c.git.upstream) continue;
      const answer = this.answers.fastForward ?? await askFastForward(c.git.behind, c.git.upstream);
      if (answer === 'update-without') continue;
      if (answer !== 'fast-forward') return false;
      try {
        const r = await this.operations.run('update', [c.path], () => fastForwardCollection(c.path, { env: this.env }), {
          title: vscode.l10n.t('Fast-forwarding the collection to {0}', c.git.upstream),
        });
        this.log.info(`fast-forwarded ${c.path} to ${r.upstream}: ${r.commits} commits (${r.from ?? '?'}..${r.to ?? '?'})`);
      } catch (e) {
        if (!(e instanceof GitError)) throw e;
        this.log.error(`fast-forward of ${c.path}: ${e.message}`);
        void vscode.window.showErrorMessage(vscode.l10n.t('SkillMeat Sync did not update: {0}', e.message));
        return false;
      }
    }
    return true;
  }

  /**
   * After a pull: when it wrote into a collection that is a git work tree, offers to commit exactly those files
   * (and push). Awaited only when the answer was given in advance, so a command never waits on a notification.
   */
  async offerCommit(results: readonly SyncResult[]): Promise<void> {
    if (!vscode.workspace.isTrusted) return; // no git in an untrusted workspace, as VS Code's git extension
    const { byRepo: groups } = await pulledByRepo(results, { env: this.env, onError: (file, e) => this.log.info(`${file}: ${e.message}`) });
    if (groups.size === 0) return;
    const run = async (answer: CommitAnswer | undefined): Promise<void> => {
      if (answer !== 'commit' && answer !== 'commit-and-push') return;
      for (const [root, g] of groups) await this.commit(root, g, answer === 'commit-and-push');
    };
    if (this.answers.commit) { await run(this.answers.commit); return; }
    const commit = vscode.l10n.t('Commit');
    const push = vscode.l10n.t('Commit and Push');
    const later = vscode.l10n.t('Not now');
    void Promise.resolve(vscode.window.showInformationMessage(
      vscode.l10n.t('Pulled into a collection on git ({0}). Commit and push? Only the pulled files go into the commit.', [...groups.keys()].join(', ')), commit, push, later,
    )).then((pick) => run(pick === commit ? 'commit' : pick === push ? 'commit-and-push' : undefined));
  }

  private async commit(root: string, g: { paths: string[]; items: { type: string; name: string; strategy: string }[]; project: string }, push: boolean): Promise<void> {
    const message = pullCommitMessage(g.items, g.project);
    try {
      // The artifacts' paths: the drift check after it reads the collection's git status again (committed, pushed).
      const c = await this.operations.run('pull', g.paths, () => commitPulled(path.dirname(g.paths[0]), g.paths, message, { env: this.env, push, timeoutMs: 120_000 }), {
        title: push ? vscode.l10n.t('Committing and pushing the pulled files') : vscode.l10n.t('Committing the pulled files'),
      });
      this.log.info(`committed ${c.commit} in ${root} (${c.files.join(', ')})${c.pushed ? `; pushed to ${c.pushed.remote} ${c.pushed.ref}` : ''}`);
      void vscode.window.showInformationMessage(c.pushed
        ? vscode.l10n.t('Committed {0} and pushed it to {1}.', c.commit.slice(0, 7), c.pushed.remote)
        : vscode.l10n.t('Committed {0} in {1}.', c.commit.slice(0, 7), root));
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      this.log.error(`commit in ${root}: ${e.message}`);
      void vscode.window.showErrorMessage(e.code === 'push-rejected'
        ? vscode.l10n.t('The push was refused: the remote has commits you do not have. Your commit stays local (nothing is lost): bring them in with "git pull --rebase" in {0}, then push. Next time, update (Fast-forward first) before you pull.', root)
        : vscode.l10n.t('SkillMeat Sync could not commit: {0}', e.message));
    }
  }

}

async function askFastForward(behind: number, upstream: string): Promise<FastForwardAnswer | undefined> {
  const items: (vscode.QuickPickItem & { answer: FastForwardAnswer })[] = [
    { label: vscode.l10n.t('Fast-forward'), detail: vscode.l10n.t('fetch, then fast-forward the collection to {0} (never a merge or rebase), then update', upstream), answer: 'fast-forward' },
    { label: vscode.l10n.t('Update without'), detail: vscode.l10n.t('update from the collection as it is now'), answer: 'update-without' },
    { label: vscode.l10n.t('Cancel'), answer: 'cancel' },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: behind === 1 ? vscode.l10n.t('Collection is 1 commit behind {0} — Fast-forward first?', upstream) : vscode.l10n.t('Collection is {0} commits behind {1} — Fast-forward first?', behind, upstream),
    ignoreFocusOut: true,
  });
  return pick?.answer;
}
