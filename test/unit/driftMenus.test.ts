// The Drift view offers only what applies (issue 11): the menus and inline actions of package.json, keyed on a
// row's context value (`artifact.<state>.<type>`, `file.<state>.<change>`, see src/vscode/drift/driftTree.ts),
// evaluated for every state and type. The integration session test/integration/menus reads the same menus
// from the real VS Code's DOM.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ARTIFACT_TYPES, DRIFT_STATES } from '../../src/core/model';
import { EXPECTED_MENUS, DIFF, DIFF_C, HISTORY, REVEAL } from '../integration/menus/expectedMenus';

const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { commands: { command: string; title: string }[]; menus: Record<string, { command: string; when?: string; group?: string }[]> };
};
const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
const title = (command: string): string => {
  const t = pkg.contributes.commands.find((c) => c.command === command)?.title ?? command;
  return nls[t.replace(/^%|%$/g, '')] ?? t;
};

/** Evaluates the `when` clauses this manifest uses in the drift view: `view == X && viewItem =~ /re/` or `viewItem == v`. */
function applies(when: string, viewItem: string): boolean {
  return when.split('&&').map((c) => c.trim()).every((c) => {
    let m = /^view == (\S+)$/.exec(c);
    if (m) return m[1] === 'skillmeatSync.drift';
    m = /^viewItem =~ \/(.*)\/$/.exec(c);
    if (m) return new RegExp(m[1]).test(viewItem);
    m = /^viewItem == (\S+)$/.exec(c);
    if (m) return m[1] === viewItem;
    throw new Error(`a when clause this test cannot read: ${c}`);
  });
}

/** What a user sees for a row: the context menu in VS Code's order (groups by name, then @order) and the inline icons. */
export function menusOf(viewItem: string): { menu: string[]; inline: string[] } {
  const items = pkg.contributes.menus['view/item/context'].filter((m) => m.when?.includes('skillmeatSync.drift') && applies(m.when, viewItem));
  const order = (g = '') => { const [name, n] = g.split('@'); return { name, n: Number(n ?? 0) }; };
  const sorted = (xs: typeof items) => [...xs].sort((a, b) => { const x = order(a.group); const y = order(b.group); return x.name.localeCompare(y.name) || x.n - y.n; });
  return {
    menu: sorted(items.filter((m) => !m.group?.startsWith('inline'))).map((m) => title(m.command)),
    inline: sorted(items.filter((m) => m.group?.startsWith('inline'))).map((m) => title(m.command)),
  };
}

describe('drift view menus', () => {
  for (const state of DRIFT_STATES) {
    it(`a ${state} row offers ${EXPECTED_MENUS[state].menu.join(', ')}`, () => {
      for (const type of ARTIFACT_TYPES) assert.deepEqual(menusOf(`artifact.${state}.${type}`), EXPECTED_MENUS[state], `${state} ${type}`);
    });
  }

  it('never offers Deploy on a deployed row, nor a baseline diff or Reveal on a row not in the project', () => {
    for (const state of DRIFT_STATES) {
      const { menu } = menusOf(`artifact.${state}.skill`);
      if (!['added', 'deleted'].includes(state)) assert.ok(!menu.includes('Deploy…'), state);
      if (['added', 'deleted', 'invalid'].includes(state)) assert.ok(!menu.includes(DIFF) && !menu.includes('Reveal in Explorer'), state);
    }
  });

  it('offers on the files of a skill the diff that shows their change', () => {
    assert.deepEqual(menusOf('file.modified.modified'), { menu: [DIFF, DIFF_C, HISTORY, ...REVEAL], inline: [DIFF] });
    assert.deepEqual(menusOf('file.outdated.added'), { menu: [DIFF_C, HISTORY], inline: [DIFF_C] });
    assert.deepEqual(menusOf('file.modified.deleted'), { menu: [DIFF, DIFF_C, HISTORY], inline: [DIFF] });
  });

  it('offers nothing on a group heading', () => {
    for (const state of DRIFT_STATES) assert.deepEqual(menusOf(`group.${state}`), { menu: [], inline: [] });
  });
});
