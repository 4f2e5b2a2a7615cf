#!/usr/bin/env node
// Renders media/icon.png (the 128×128 Marketplace icon) from media/icon.svg (the activity-bar glyph), so the two
// never disagree: the glyph's strokes in white on a rounded square, drawn by headless Chromium through
// playwright-core (the browser the integration runtime already uses; CHROMIUM_PATH, default /usr/bin/chromium).
//
//   node scripts/make-icon.mjs        rewrites media/icon.png; same input, same Chromium → same bytes
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 128;
const glyph = readFileSync(join(root, 'media/icon.svg'), 'utf8')
  .replace(/width="24" height="24"/, `width="${SIZE * 0.72}" height="${SIZE * 0.72}"`)
  .replace(/stroke="currentColor"/, 'stroke="#ffffff"')
  .replace(/stroke-width="[\d.]+"/, 'stroke-width="2"');
const html = `<!doctype html><html><body style="margin:0;background:transparent">
<div style="width:${SIZE}px;height:${SIZE}px;border-radius:${SIZE * 0.19}px;display:flex;align-items:center;justify-content:center;
  background:linear-gradient(135deg,#1f6f5c 0%,#0e3b4f 100%)">${glyph}</div></body></html>`;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
  await page.setContent(html);
  await page.screenshot({ path: join(root, 'media/icon.png'), omitBackground: true });
  console.log('media/icon.png written');
} finally {
  await browser.close();
}
