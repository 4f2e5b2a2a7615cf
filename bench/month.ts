// The simulated month of editing both the capture-policy bench and the history (store) bench replay:
// 50 artifacts, 40 saves per artifact per day in 1–4 sessions, and a sync touching 5 artifacts each afternoon.
export const S = 1_000;
export const MIN = 60 * S;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export const ARTIFACTS = 50;
export const SAVES_PER_DAY = 40;
export const SYNCED_PER_DAY = 5;

/** `a` is the artifact's index; a save touches `files` files and changes content unless `changes` is false. */
export type MonthEvent =
  | { at: number; kind: 'save'; a: number; files: number; changes: boolean }
  | { at: number; kind: 'sync'; a: number };

/** The month's events in time order. */
export function editingMonth(o: { start: number; days: number; rand: () => number; maxFilesPerSave: number }): MonthEvent[] {
  const { rand } = o;
  const events: MonthEvent[] = [];
  for (let day = 0; day < o.days; day++) {
    const dayStart = o.start + day * DAY;
    for (let a = 0; a < ARTIFACTS; a++) {
      const sessions = 1 + Math.floor(rand() * 4);
      let left = SAVES_PER_DAY;
      for (let s = 0; s < sessions; s++) {
        const n = s === sessions - 1 ? left : Math.floor(SAVES_PER_DAY / sessions);
        left -= n;
        let t = dayStart + 9 * HOUR + Math.floor(rand() * 7 * HOUR);
        for (let i = 0; i < n; i++) {
          // Gaps from 5 s to ~6 min: short ones coalesce in the quiet window, long sessions hit the hourly limit.
          t += 5 * S + Math.floor(rand() * rand() * 6 * MIN);
          events.push({ at: t, kind: 'save', a, files: 1 + Math.floor(rand() * o.maxFilesPerSave), changes: rand() < 0.9 });
        }
      }
    }
    for (let i = 0; i < SYNCED_PER_DAY; i++) events.push({ at: dayStart + 15 * HOUR + i * MIN, kind: 'sync', a: Math.floor(rand() * ARTIFACTS) });
  }
  return events.sort((x, y) => x.at - y.at);
}
