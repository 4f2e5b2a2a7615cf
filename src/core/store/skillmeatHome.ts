// Where SkillMeat keeps things: the home (`SKILLMEAT_HOME`, default ~/.skillmeat), its config.toml, and
// collections (`<home>/collections/<name>`), with an override for any directory of the same layout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { skillmeatHome } from './home';

export { skillmeatHome };

export interface HomeConfig {
  defaultCollection: string;
  /** Set when config.toml exists but cannot be read; the default "default" is used. */
  problem?: string;
}

/** Reads `[settings] default-collection` from `<home>/config.toml`; lenient, never throws. */
export function readHomeConfig(home: string): HomeConfig {
  const file = path.join(home, 'config.toml');
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return { defaultCollection: 'default' }; }
  try {
    const doc = parse(text) as { settings?: Record<string, unknown> };
    const name = doc.settings?.['default-collection'] ?? doc.settings?.default_collection;
    if (typeof name === 'string' && name && !isCollectionName(name)) {
      return { defaultCollection: 'default', problem: `${file}: default-collection ${JSON.stringify(name)} is not a collection name (a folder of ${path.join(home, 'collections')}); using "default". Fix the setting to choose another.` };
    }
    return { defaultCollection: typeof name === 'string' && name ? name : 'default' };
  } catch (e) {
    const where = e instanceof TomlError ? `:${e.line}:${e.column}` : '';
    return { defaultCollection: 'default', problem: `${file}${where}: cannot parse (${(e as Error).message.split('\n')[0]}); using the collection "default". Fix the file to choose another.` };
  }
}

/** True for a name that is one folder of `<home>/collections` (not `.`, `..`, nothing with a separator or a control character). */
export function isCollectionName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\u0000-\u001f\u007f]/.test(name);
}

/** Absolute path of a named collection in a home. */
export function collectionDir(home: string, name: string): string {
  return path.join(home, 'collections', name);
}

/** How collections are found: an override path wins over per-record names and the configured default. */
export interface CollectionResolver {
  home: string;
  /** Absolute path given by `--collection` / the setting; used for every record when set. */
  override?: string;
  defaultName: string;
  resolve(name: string | undefined): { name: string; path: string };
  problems: string[];
}

/** Builds the resolver for a check or a sync. */
export function collectionResolver(opts: { env?: NodeJS.ProcessEnv; home?: string; collection?: string } = {}): CollectionResolver {
  const home = opts.home ?? skillmeatHome(opts.env);
  const cfg = readHomeConfig(home);
  const override = opts.collection ? path.resolve(opts.collection) : undefined;
  return {
    home,
    override,
    defaultName: override ? path.basename(override) : cfg.defaultCollection,
    problems: cfg.problem ? [cfg.problem] : [],
    resolve(name) {
      if (override) return { name: path.basename(override), path: override };
      const n = name && name.trim() ? name : cfg.defaultCollection;
      return { name: n, path: collectionDir(home, n) };
    },
  };
}
