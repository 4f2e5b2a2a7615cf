// A project, a real version store and a capture service on a fake clock and a fake timer, for the capture tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureService, type CaptureScheduler, type CaptureServiceOptions } from '../../../src/core/history/capture';
import { DEFAULT_CAPTURE_SETTINGS, type CaptureSettings } from '../../../src/core/history/capturePolicy';
import { VersionStore } from '../../../src/core/store/versionStore';
import { writeTree, skillMd } from '../helpers';

export const S = 1_000;
export const MIN = 60 * S;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

/** A clock and a timer queue the test moves by hand. */
export class FakeTime implements CaptureScheduler {
  t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = T0) { this.t = start; }

  readonly now = (): number => this.t;

  set(fn: () => void, delayMs: number): number {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + delayMs, fn });
    return id;
  }

  clear(handle: unknown): void { this.timers.delete(handle as number); }

  /** When the earliest timer fires, if any. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const { at } of this.timers.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /** Moves the clock to `t`, firing every timer due on the way (each one's work finished before the next). */
  async advanceTo(t: number, service: CaptureService): Promise<void> {
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= t && (!due || e[1].at < due[1].at)) due = e;
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
      await service.whenIdle();
    }
    this.t = Math.max(this.t, t);
  }
}

export interface CaptureWorld {
  project: string;
  storeDir: string;
  store: VersionStore;
  time: FakeTime;
  service: CaptureService;
  /** `<project>/.claude/skills/<name>` */
  skillDir(name: string): string;
  /** Writes a file below `.claude/` and tells the service, as the watcher would. */
  write(rel: string, content: string, opts?: { watched?: boolean }): void;
  /** A second service on the same project and store directory (a restart). */
  restart(opts?: Partial<CaptureServiceOptions>): Promise<CaptureService>;
  /** Index writes (store transactions) so far. */
  transactions(): number;
}

/** Builds a project with a `review` skill (two files) and a `commit` command, and a service on a fake clock. */
export async function makeCaptureWorld(base: string, settings: Partial<CaptureSettings> = {}, opts: Partial<CaptureServiceOptions> = {}): Promise<CaptureWorld> {
  const project = path.join(base, 'project');
  const claude = path.join(project, '.claude');
  writeTree(claude, {
    'skills/review/SKILL.md': skillMd('review', 'Review the diff.'),
    'skills/review/checklist.md': '- tests\n- docs\n',
    'commands/commit.md': '---\ndescription: commit\n---\n\nWrite a commit message.\n',
  });
  const storeDir = path.join(base, 'home', 'sync');
  const store = await VersionStore.open(storeDir);
  let count = 0;
  const transact = store.transact.bind(store);
  store.transact = ((fn) => { count++; return transact(fn); }) as VersionStore['transact'];
  const time = new FakeTime();
  const all = { ...DEFAULT_CAPTURE_SETTINGS, ...settings };
  const make = (s: VersionStore, o: Partial<CaptureServiceOptions> = {}) =>
    new CaptureService({ project, store: s, settings: all, now: time.now, scheduler: time, ...opts, ...o });
  const world: CaptureWorld = {
    project, storeDir, store, time,
    service: make(store),
    skillDir: (name) => path.join(claude, 'skills', name),
    write(rel, content, { watched = true } = {}) {
      const p = path.join(claude, ...rel.split('/'));
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
      if (watched) world.service.noteFileChange(p);
    },
    async restart(o = {}) {
      world.service.dispose();
      const s2 = await VersionStore.open(storeDir);
      world.service = make(s2, o);
      return world.service;
    },
    transactions: () => count,
  };
  return world;
}
