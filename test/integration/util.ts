// Helpers for tests running inside the extension host. The host cannot see the workbench's DOM, so
// domTexts/waitForDom/screenshot ask the harness that owns the browser page (scripts/launch-vscode.js),
// whose address arrives in VSCODE_TEST_HARNESS_URL through the inherited environment.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'skillmeat-sync.skillmeat-sync';

export interface WaitOptions {
  /** Give up after this long; the default suits UI updates, not slow jobs. */
  timeoutMs?: number;
  /** Named in the timeout error, so a failure says what never happened. */
  what?: string;
  /** Pause between polls. */
  intervalMs?: number;
}

/**
 * Polls `pred` until it returns a truthy value (which is returned) or the deadline passes.
 * Exceptions thrown by `pred` count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(pred: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, what = 'condition', intervalMs = 50 } = opts;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      last = await pred();
      lastError = undefined;
      if (last) return last as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? `last error: ${String((lastError as Error).message ?? lastError)}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${detail})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function harnessUrl(endpoint: string, params: Record<string, string>): string {
  const base = process.env.VSCODE_TEST_HARNESS_URL;
  if (!base) {
    throw new Error('VSCODE_TEST_HARNESS_URL is not set: DOM checks and screenshots need scripts/run-vscode-tests.js (see docs/testing.md)');
  }
  return `${base}${endpoint}?${new URLSearchParams(params)}`;
}

async function harness(endpoint: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(harnessUrl(endpoint, params));
  const body = await res.text();
  if (!res.ok) throw new Error(`harness ${endpoint} ${JSON.stringify(params)} failed (${res.status}): ${body}`);
  return body;
}

/**
 * Trimmed text of every element of the workbench matching a CSS selector (or its `attr` attribute), in DOM order.
 * Non-breaking spaces become plain spaces: editors render every space of a line as U+00A0.
 */
export async function domTexts(selector: string, opts: { attr?: string } = {}): Promise<string[]> {
  const params: Record<string, string> = { sel: selector };
  if (opts.attr) params.attr = opts.attr;
  return (JSON.parse(await harness('/eval', params)) as string[]).map((t) => t.replace(/\u00a0/g, ' '));
}

/** Polls domTexts(selector) until `pred` accepts the texts; returns them. */
export async function waitForDom(
  selector: string,
  pred: (texts: string[]) => boolean,
  opts: WaitOptions & { attr?: string } = {},
): Promise<string[]> {
  let seen: string[] = [];
  try {
    await waitFor(async () => pred((seen = await domTexts(selector, opts))), { what: `DOM ${selector}`, ...opts });
  } catch (e) {
    throw new Error(`${(e as Error).message}; texts were ${JSON.stringify(seen)}`);
  }
  return seen;
}

/** Saves a PNG of the whole workbench as artifacts/screenshots/<name>.png (or VSCODE_TEST_SCREENSHOTS); returns its path. */
export async function screenshot(name: string): Promise<string> {
  return harness('/shot', { name });
}

/** Types text with the real keyboard into whatever has focus in the workbench (e.g. a quick pick). */
export async function typeText(text: string): Promise<void> {
  await harness('/type', { text });
}

/** Presses a key (Playwright key name: 'Enter', 'Space', 'ArrowDown', …) in the workbench. */
export async function pressKey(key: string): Promise<void> {
  await harness('/press', { key });
}

/** Clicks the first element matching a CSS selector in the workbench; `right` opens its context menu. */
export async function click(selector: string, opts: { button?: 'left' | 'right' } = {}): Promise<void> {
  await harness('/click', { sel: selector, ...(opts.button === 'right' ? { button: 'right' } : {}) });
}

/**
 * Expands the collapsed tree row `selector` by clicking it, as a user does, until its `aria-expanded` is "true".
 * A click that lands while the tree redraws (a check that changed a row's tooltip, say) can be lost, in VS Code as
 * for a user, who then clicks again: the row is clicked again only while it still says it is collapsed, so a slow
 * expansion is never undone by a second click. Returns the number of clicks it took.
 */
export async function expandRow(selector: string, opts: WaitOptions = {}): Promise<number> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  const expanded = async () => (await domTexts(selector, { attr: 'aria-expanded' }))[0];
  let clicks = 0;
  let state: string | undefined;
  while (Date.now() < deadline) {
    state = await expanded();
    if (state === 'true') return clicks;
    if (state === 'false') { await click(selector); clicks++; }
    try {
      await waitFor(async () => (await expanded()) === 'true', { timeoutMs: 2_000, intervalMs: 50 });
      return clicks;
    } catch { /* the click was lost: look again */ }
  }
  throw new Error(`${opts.what ?? selector} did not expand after ${clicks} click(s); aria-expanded is ${JSON.stringify(state)}`);
}

/** Moves the pointer over the first element matching a CSS selector (its hover tooltip opens). */
export async function hover(selector: string): Promise<void> {
  await harness('/hover', { sel: selector });
}

/**
 * Hovers `selector` until a hover tooltip whose text satisfies `pred` is shown; returns that text. A tooltip opens
 * only when the pointer arrives, so between attempts the pointer leaves for the status bar and comes back.
 */
export async function tooltipOf(selector: string, pred: (text: string) => boolean, opts: WaitOptions = {}): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let seen: string[] = [];
  while (Date.now() < deadline) {
    await hover(selector);
    try {
      seen = await waitForDom('.workbench-hover, .monaco-hover', (t) => t.some(pred), { timeoutMs: 2_000 });
      return seen.find(pred)!;
    } catch { /* not (yet) shown: leave and come back */ }
    await hover('.part.statusbar');
  }
  throw new Error(`no tooltip for ${opts.what ?? selector}; hovers seen: ${JSON.stringify(seen)}`);
}

/** Activates the extension under test and returns the API its activate() exported. */
export async function getApi<T = unknown>(): Promise<T> {
  const ext = vscode.extensions.getExtension<T>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded: is the extension development path the repository root?`);
  return ext.activate();
}
