// Read-only virtual documents for the baseline and collection sides of a diff (scheme `skillmeat-sync`).
// Nothing is written to disk to show a diff.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ArtifactDrift } from '../../core/model';
import type { DriftService } from './driftService';
import { CONTENT_SCHEME } from '../platform/ids';
import { readContextCollection } from '../../core/drift/contextEntities';
import { loadSqlJs } from '../../core/store/sqlite';

/** The side a virtual document shows; `project` only stands in for a file the project does not have. */
export type Side = 'baseline' | 'collection' | 'project';

interface Query {
  side: Side;
  state: ArtifactDrift['state'];
  type: ArtifactDrift['type'];
  name: string;
  file: string; // relative to the artifact; '' for single-file artifacts
  projectPath: string;
  collectionPath: string | null;
  /** A context entity's collection copy: its row of SkillMeat's cache database. */
  contextRow?: { db: string; id: string };
  baselineHash: string | null;
  recordContentHash?: string;
  collectionHash: string | null;
  projectHash: string | null;
}

/** The virtual URI of one file of one side of an artifact. */
export function versionUri(side: Side, a: ArtifactDrift, file: string): vscode.Uri {
  const q: Query = {
    side, state: a.state, type: a.type, name: a.name, file, projectPath: a.projectPath, collectionPath: a.collectionPath,
    ...(a.contextRow ? { contextRow: a.contextRow } : {}), baselineHash: a.baselineHash, recordContentHash: a.recordContentHash, collectionHash: a.collectionHash, projectHash: a.projectHash,
  };
  const base = file ? path.posix.basename(file) : path.basename(a.projectPath);
  return vscode.Uri.from({ scheme: CONTENT_SCHEME, path: `/${side}/${a.name}/${base}`, query: JSON.stringify(q) });
}

export class VersionContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly service: DriftService) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = JSON.parse(uri.query) as Query;
    const onDisk = (artifactPath: string | null): string | undefined => {
      if (!artifactPath) return undefined;
      const p = q.file ? path.join(artifactPath, ...q.file.split('/')) : artifactPath;
      try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; }
    };
    // A context entity's collection copy is a row of SkillMeat's database, read read-only (never written).
    const fromDb = async (): Promise<string | undefined> => {
      if (!q.contextRow) return undefined;
      const row = readContextCollection(await loadSqlJs(), q.contextRow.db).rows.find((r) => r.id === q.contextRow!.id);
      return row?.content.toString('utf8');
    };
    if (q.side === 'project') return onDisk(q.projectPath) ?? vscode.l10n.t('(this file is not in the project)');
    if (q.side === 'collection' && q.contextRow) return (await fromDb()) ?? vscode.l10n.t('(this entity is no longer in SkillMeat\'s cache database)');
    if (q.side === 'collection') {
      if (!q.collectionPath && q.state === 'unreachable') return vscode.l10n.t('(the collection cannot be read: it is unreachable)');
      return onDisk(q.collectionPath) ?? vscode.l10n.t('(this file does not exist in the collection)');
    }
    if (!q.baselineHash) return vscode.l10n.t('{0} was never deployed: it has no deployed baseline.', q.name);
    // Baseline: the version store has the true baseline; failing that, a side that still equals it.
    try {
      const store = await this.service.versionStore();
      const t = store.baselineFiles({ treeHash: q.baselineHash ?? undefined, contentHash: q.recordContentHash });
      if (t) {
        const buf = store.readFile(t.tree, q.file);
        return buf ? buf.toString('utf8') : vscode.l10n.t('(this file did not exist in the deployed baseline)');
      }
    } catch { /* store unavailable: fall through */ }
    if (q.baselineHash && q.collectionHash === q.baselineHash && q.contextRow) return (await fromDb()) ?? vscode.l10n.t('(this file did not exist in the deployed baseline)');
    if (q.baselineHash && q.collectionHash === q.baselineHash) return onDisk(q.collectionPath) ?? vscode.l10n.t('(this file did not exist in the deployed baseline)');
    if (q.baselineHash && q.projectHash === q.baselineHash) return onDisk(q.projectPath) ?? vscode.l10n.t('(this file did not exist in the deployed baseline)');
    return vscode.l10n.t('The deployed baseline of "{0}" is not in the version store (it was deployed by SkillMeat or on another machine), and neither side still matches it. Compare with the collection instead.', q.name);
  }
}
