// What the operations tests share: the example project's paths, drift states, tree nodes, the SkillMeat
// status bar item as the workbench renders it, and a recorder of what the operations service ran.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { domTexts, getApi, pressKey, typeText, waitFor, waitForDom } from '../util';
import type { SkillMeatSyncApi } from '../../../src/extension';

export const STATUS = '.part.statusbar .statusbar-item';
export const QUICK_ROWS = '.quick-input-widget .monaco-list-row';
/** The SkillMeat item. Its aria-label is its text, a comma, then its tooltip (VS Code builds it so). */
export const SKILLMEAT_ITEM = `${STATUS}[aria-label*="SkillMeat"]`;

export const project = (): string => vscode.workspace.workspaceFolders![0].uri.fsPath;
export const inProject = (...p: string[]): string => path.join(project(), '.claude', ...p);

/** The extension's API after a first drift check, with its view open (the drift view shows write progress). */
export async function apiWithDriftView(): Promise<SkillMeatSyncApi> {
  const api = await getApi<SkillMeatSyncApi>();
  await api.refresh();
  await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
  return api;
}

export function stateOf(api: SkillMeatSyncApi, name: string): string | undefined {
  return api.getReports().flatMap((r) => r.artifacts).find((a) => a.name === name)?.state;
}

export async function waitForState(api: SkillMeatSyncApi, name: string, state: string): Promise<void> {
  await waitFor(() => stateOf(api, name) === state, { what: `${name} to become ${state} (is ${stateOf(api, name)})` });
}

/** A drift-tree node as the tree hands it to a command. */
export function node(api: SkillMeatSyncApi, name: string): unknown {
  const report = api.getReports()[0];
  const artifact = report.artifacts.find((a) => a.name === name);
  assert.ok(artifact, `${name} is in the drift report`);
  return { kind: 'artifact', folder: { folder: vscode.workspace.workspaceFolders![0], report, settings: {} }, artifact };
}

/** The SkillMeat status bar item as shown: its text and its aria-label (text + tooltip). */
export async function statusItem(): Promise<{ text: string; label: string }> {
  const [text = ''] = await domTexts(SKILLMEAT_ITEM);
  const [label = ''] = await domTexts(SKILLMEAT_ITEM, { attr: 'aria-label' });
  return { text, label };
}

/** Polls the SkillMeat status bar item until `pred` accepts it. */
export async function waitForStatus(pred: (s: { text: string; label: string }) => boolean, what: string): Promise<{ text: string; label: string }> {
  let seen = { text: '', label: '' };
  try {
    await waitFor(async () => pred(seen = await statusItem()), { what });
  } catch (e) {
    throw new Error(`${(e as Error).message}; the item was ${JSON.stringify(seen)}`);
  }
  return seen;
}

/** Opens the command palette, filters it by `text`, and returns the rows once `pred` accepts them. */
export async function paletteRows(text: string, pred: (rows: string[]) => boolean): Promise<string[]> {
  await pressKey('F1');
  await waitForDom('.quick-input-widget input', () => true);
  await typeText(text);
  return waitForDom(QUICK_ROWS, pred);
}

/** Every change of the operations service, as the `running()` it showed then (titles and kinds). */
export class OperationsRecorder implements vscode.Disposable {
  readonly snapshots: { kind: string; title: string }[][] = [];
  /** Titles in the order their operation was first seen running. */
  readonly started: string[] = [];
  private readonly sub: vscode.Disposable;

  constructor(private readonly api: SkillMeatSyncApi) {
    this.sub = api.operations.onDidChangeOperations(() => {
      const now = api.operations.running().map(({ kind, title }) => ({ kind, title }));
      this.snapshots.push(now);
      for (const o of now) if (!this.started.includes(o.title)) this.started.push(o.title);
    });
  }

  /** The most writers (generators aside: they do not touch the version store) seen running at one moment. */
  maxWriters(): number {
    return Math.max(0, ...this.snapshots.map((s) => s.filter((o) => o.kind !== 'generate').length));
  }

  dispose(): void { this.sub.dispose(); }
}

/**
 * Another process holding the version store's lock for `ms`: it creates `index.sqlite.lock` the way the
 * product's writers do (O_EXCL, its pid and host inside), says so, and removes it when the time is up.
 */
export function holdStoreLock(ms: number): Promise<{ pid: number; exited: Promise<number | null> }> {
  const lock = path.join(process.env.SKILLMEAT_HOME!, 'sync', 'index.sqlite.lock');
  const code = `const fs = require('node:fs'), os = require('node:os');
fs.mkdirSync(require('node:path').dirname(${JSON.stringify(lock)}), { recursive: true });
const fd = fs.openSync(${JSON.stringify(lock)}, 'wx');
fs.writeFileSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString(), token: 'held-by-test' }));
fs.closeSync(fd);
process.stdout.write('locked\\n');
setTimeout(() => { fs.rmSync(${JSON.stringify(lock)}); process.exit(0); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve({ pid: child.pid!, exited }));
    child.once('exit', (c) => reject(new Error(`the lock holder exited before taking the lock (${c})`)));
  });
}

/** Measures how long the event loop was blocked at worst: the longest gap between ticks of a 5 ms interval, less 5 ms. */
export function watchEventLoop(): { stop(): number } {
  let last = performance.now();
  let worst = 0;
  const t = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last - 5); last = now; }, 5);
  return { stop: () => { clearInterval(t); return worst; } };
}
