// Every write the product makes runs here (the model of the git extension's Operation / onDidChangeOperations):
// deploy, undeploy, update, pull, merge, fork, undo, restore, pin, capture, prune, generate. One place marks
// the written paths as the product's own writes (so History never records them as user edits), invalidates the
// drift hashes of exactly those artifacts, runs writers one at a time, shows progress, and keeps what is
// running and the last failure for the status bar (Syncing, Error with retry). No other class sets that state.
import { AsyncLocalStorage } from 'node:async_hooks';
import * as vscode from 'vscode';
import type { OwnWriteOrigin } from '../../core/history/capturePolicy';
import type { OwnWrites } from '../history/captureController';
import type { DriftService } from '../drift/driftService';
import { CONTEXT, VIEWS } from './ids';

export type OperationKind =
  | 'deploy' | 'undeploy' | 'update' | 'pull' | 'merge' | 'undo' | 'restore' | 'pin' | 'capture' | 'prune' | 'generate' | 'recover'
  /** Importing a state backup. */
  | 'import'
  /** Encrypting, decrypting or re-keying the version store. */
  | 'store';

/** Kinds shown as "Syncing" in the status bar while they run (the others are short or have their own view). */
const SYNCING: ReadonlySet<OperationKind> = new Set(['deploy', 'undeploy', 'update', 'pull', 'merge', 'undo', 'restore']);

/** The own-write origin History records for each kind; undefined: the core marks its own writes, or none are artifacts. */
const ORIGIN: Partial<Record<OperationKind, OwnWriteOrigin>> = {
  deploy: 'deploy', undeploy: 'deploy', update: 'sync', pull: 'sync', merge: 'sync', undo: 'sync', generate: 'generator',
};

/** An operation while it runs: what it is, what it writes, and how it reports. */
export interface Operation {
  readonly kind: OperationKind;
  readonly title: string;
  readonly paths: readonly string[];
  /** Set while the operation waits for a lock: who holds it. */
  readonly waitingFor?: string;
  /** A progress message under the operation's title. */
  report(message: string): void;
  /** Paths written that were not known when it started (a fork, an undo): marked and invalidated too. */
  wrote(paths: readonly string[]): void;
}

/** The last operation that failed, with a way to run it again. */
export interface OperationFailure {
  readonly kind: OperationKind;
  readonly title: string;
  /** What went wrong, in words that name the file and the fix where the error allows. */
  readonly message: string;
  /** What was thrown (undefined when the result reported the failure). */
  readonly error?: unknown;
  retry(): Promise<unknown>;
}

/** An error in the user's words: file-system errors name the path and what to do; others keep their message. */
export function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { dest?: string };
  const file = err?.path ?? err?.dest;
  if (!file || !err.code) return e instanceof Error ? e.message : String(e);
  switch (err.code) {
    case 'EEXIST':
    case 'ENOTDIR': return vscode.l10n.t('{0}: a file is in the way where a folder is needed. Move it aside, then try again.', file);
    case 'EISDIR': return vscode.l10n.t('{0}: a folder is in the way where a file is needed. Move it aside, then try again.', file);
    case 'EACCES':
    case 'EPERM': return vscode.l10n.t('{0}: permission denied. Make it writable, then try again.', file);
    case 'EROFS': return vscode.l10n.t('{0} is on a read-only file system.', file);
    case 'ENOSPC': return vscode.l10n.t('The disk holding {0} is full. Free some space, then try again.', file);
    case 'ENOENT': return vscode.l10n.t('{0} does not exist (moved or deleted meanwhile?). Refresh, then try again.', file);
    default: return err.message;
  }
}

export interface OperationOptions<T> {
  /** Progress title, shown in the Drift view while it runs (already localised). */
  title: string;
  /** Progress in the Drift view (default true); generators show their own. */
  progress?: boolean;
  /** What "Retry" runs after a failure (default: this operation again): the whole command, with its questions and log. */
  retry?: () => Promise<unknown>;
  /** A failure the result reports without throwing (a sync whose status is `failed`): its message. */
  failure?: (result: T) => string | undefined;
  /** Runs after the writers before it (default true). False for writers that do not touch the version store. */
  exclusive?: boolean;
}

class RunningOperation implements Operation {
  waitingFor: string | undefined;
  readonly later: string[] = [];
  constructor(
    readonly kind: OperationKind, readonly title: string, readonly paths: readonly string[],
    private readonly progress: vscode.Progress<{ message?: string }> | undefined, private readonly changed: () => void,
  ) {}
  report(message: string): void { this.progress?.report({ message }); }
  wrote(paths: readonly string[]): void { this.later.push(...paths); }
  waiting(holder: string | undefined): void {
    this.waitingFor = holder;
    if (holder) this.report(vscode.l10n.t('Waiting for {0}…', holder));
    this.changed();
  }
}

export class Operations implements vscode.Disposable {
  private readonly _onDidChangeOperations = new vscode.EventEmitter<void>();
  /** Fires when an operation starts, waits, ends, or fails. */
  readonly onDidChangeOperations = this._onDidChangeOperations.event;
  private readonly active: RunningOperation[] = [];
  private failure: OperationFailure | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** The operation whose callback is running in this async context: a nested run joins it instead of queuing behind it. */
  private readonly context = new AsyncLocalStorage<RunningOperation>();

  constructor(private readonly drift: DriftService, private readonly ownWrites: OwnWrites | undefined) {}

  /** What is running now, oldest first. */
  get running(): readonly Operation[] { return this.active; }

  /** True while an operation that the status bar shows as Syncing runs. */
  get syncing(): boolean { return this.active.some((o) => SYNCING.has(o.kind)); }

  /** The last failed operation, until it or another of its kind succeeds. */
  get lastFailure(): OperationFailure | undefined { return this.failure; }

  /** Runs the last failed operation again; undefined when nothing failed. */
  retry(): Promise<unknown> | undefined { return this.failure?.retry(); }

  /** The last failure, if `e` is what it threw (for notifications that offer "Retry"). */
  failureOf(e: unknown): OperationFailure | undefined { return this.failure && this.failure.error === e ? this.failure : undefined; }

  /**
   * A lock the running operation needs is held (by another process, or a writer of this one); undefined: no
   * longer. Heard in the operation's own async context; a wait outside any operation (a capture) is not shown.
   */
  noteLockWait(holder: string | undefined): void {
    this.context.getStore()?.waiting(holder);
  }

  /**
   * Runs `fn` as a product write of `paths` (absolute; whole artifacts or files in them): after the writers
   * before it, with progress, marked as the product's own write, and with the drift hashes of those paths
   * invalidated and the drift re-checked when it ends — whether it succeeded or not.
   */
  run<T>(kind: OperationKind, paths: readonly string[], fn: (op: Operation) => Promise<T>, opts: OperationOptions<T>): Promise<T> {
    const start = (): Promise<T> => opts.progress === false
      ? this.execute(kind, paths, fn, opts, undefined)
      : Promise.resolve(vscode.window.withProgress({ location: { viewId: VIEWS.drift }, title: opts.title }, (progress) => this.execute(kind, paths, fn, opts, progress)));
    if (this.context.getStore() || opts.exclusive === false) return start();
    const result = this.tail.then(start);
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }

  private async execute<T>(kind: OperationKind, paths: readonly string[], fn: (op: Operation) => Promise<T>, opts: OperationOptions<T>, progress: vscode.Progress<{ message?: string }> | undefined): Promise<T> {
    const op = new RunningOperation(kind, opts.title, [...new Set(paths)], progress, () => this._onDidChangeOperations.fire());
    this.active.push(op);
    this._onDidChangeOperations.fire();
    let failed: string | undefined;
    let error: unknown;
    try {
      const result = await this.context.run(op, () => this.asOwnWrite(op, () => fn(op)));
      failed = opts.failure?.(result);
      return result;
    } catch (e) {
      failed = describeError(e);
      error = e;
      throw e;
    } finally {
      const origin = ORIGIN[kind];
      if (origin) for (const p of op.later) this.ownWrites?.noteOwnWrite(p, origin);
      for (const p of [...op.paths, ...op.later]) this.drift.invalidate(p);
      this.active.splice(this.active.indexOf(op), 1);
      const hadFailure = !!this.failure;
      if (failed !== undefined) this.failure = { kind, title: opts.title, message: failed, error, retry: opts.retry ?? (() => this.run(kind, paths, fn, opts)) };
      else if (this.failure?.kind === kind) this.failure = undefined;
      if (hadFailure !== !!this.failure) void vscode.commands.executeCommand('setContext', CONTEXT.operationFailed, !!this.failure);
      this._onDidChangeOperations.fire();
      await this.drift.check();
    }
  }

  /** Wraps `fn` in the capture's own-write hook for every path (nested, so each artifact is marked). */
  private asOwnWrite<T>(op: RunningOperation, fn: () => Promise<T>): Promise<T> {
    const origin = ORIGIN[op.kind];
    const own = this.ownWrites;
    if (!own || !origin) return fn();
    return op.paths.reduce<() => Promise<T>>((inner, p) => () => own.ownWrite(p, origin, inner, op.kind === 'generate' ? { stored: false } : {}), fn)();
  }

  dispose(): void { this._onDidChangeOperations.dispose(); }
}
