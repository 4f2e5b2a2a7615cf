// The manifest's user-visible strings live in package.nls.json (VS Code substitutes `%key%` with the
// translation of the display language, else with the English of package.nls.json).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

/** Properties whose string a user sees: titles, names, descriptions, welcome contents, categories. */
const DISPLAY_KEYS = new Set([
  'displayName', 'description', 'markdownDescription', 'title', 'shortTitle', 'category', 'name', 'contextualTitle', 'contents',
  'label', 'altText', 'enumDescriptions', 'markdownEnumDescriptions', 'deprecationMessage', 'markdownDeprecationMessage', 'enumItemLabels',
]);

const NLS_REF = /^%([^%\s]+)%$/;

interface Found { where: string; value: string }

/** Every display string below `node` (strings and string arrays under a display key), with its JSON path. */
function displayStrings(node: unknown, where: string): Found[] {
  if (Array.isArray(node)) return node.flatMap((x, i) => displayStrings(x, `${where}[${i}]`));
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => {
    const here = `${where}.${k}`;
    if (DISPLAY_KEYS.has(k) && typeof v === 'string') return [{ where: here, value: v }];
    if (DISPLAY_KEYS.has(k) && Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((x, i) => ({ where: `${here}[${i}]`, value: x as string }));
    return displayStrings(v, here);
  });
}

/** Every `%key%` reference anywhere in the manifest. */
function nlsRefs(node: unknown): string[] {
  if (typeof node === 'string') { const m = NLS_REF.exec(node); return m ? [m[1]] : []; }
  if (Array.isArray(node)) return node.flatMap(nlsRefs);
  if (node && typeof node === 'object') return Object.values(node).flatMap(nlsRefs);
  return [];
}

describe('package.nls.json: the manifest strings', () => {
  const pkg = readJson('package.json') as Record<string, unknown>;
  const nls = readJson('package.nls.json') as Record<string, unknown>;
  // What a user sees of the manifest: the listing, the Workspace Trust text and every contribution.
  const visible = [
    ...displayStrings({ displayName: pkg.displayName, description: pkg.description }, 'package'),
    ...displayStrings(pkg.capabilities, 'capabilities'),
    ...displayStrings(pkg.contributes, 'contributes'),
  ];

  it('finds the display strings it checks (commands, settings, views, colours, tasks)', () => {
    for (const prefix of ['package.displayName', 'contributes.commands[0].title', 'contributes.configuration.properties', 'contributes.views', 'contributes.viewsWelcome', 'contributes.colors', 'contributes.taskDefinitions', 'contributes.walkthroughs[0].steps[0].media.altText', 'capabilities.untrustedWorkspaces.description']) {
      assert.ok(visible.some((f) => f.where.startsWith(prefix)), `no display string found under ${prefix}`);
    }
  });

  it('has no user-visible manifest string left as a literal', () => {
    const literals = visible.filter((f) => !NLS_REF.test(f.value)).map((f) => `${f.where}: ${JSON.stringify(f.value)}`);
    assert.deepEqual(literals, [], `move these into package.nls.json:\n${literals.join('\n')}`);
  });

  it('defines every %key% the manifest uses, as non-empty English text', () => {
    const missing = [...new Set(nlsRefs(pkg))].filter((k) => typeof nls[k] !== 'string' || (nls[k] as string).trim() === '');
    assert.deepEqual(missing, []);
  });

  it('has no key the manifest does not use', () => {
    const used = new Set(nlsRefs(pkg));
    assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), []);
  });

  it('is shipped in the .vsix (the .vscodeignore allow-list names it)', () => {
    const lines = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split(/\r?\n/).map((l) => l.trim());
    assert.ok(lines.includes('!package.nls.json'), '.vscodeignore must list !package.nls.json');
  });

  it('declares an l10n folder only when it holds a bundle.l10n.json', () => {
    if (pkg.l10n === undefined) return;
    assert.ok(fs.existsSync(path.join(ROOT, String(pkg.l10n), 'bundle.l10n.json')), `${String(pkg.l10n)}/bundle.l10n.json is missing`);
  });
});
