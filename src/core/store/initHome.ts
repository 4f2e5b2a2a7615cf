// `skillmeat-sync init`: a SkillMeat home with one collection to deploy from, for someone who has no SkillMeat.
// It only ever creates what is missing: an existing collection (SkillMeat's own or one made earlier) is used
// as it is, and an existing config.toml is never rewritten, even when it names another default collection.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectionDir, isCollectionName, readHomeConfig } from './skillmeatHome';
import { COLLECTION_MANIFEST_FILE } from './collectionManifest';
import { TYPE_DIRS } from '../model';

/** What init found and did; paths are absolute. */
export interface InitResult {
  home: string;
  name: string;
  collection: string;
  /** Files and folders init created, in creation order (empty on a second run). */
  created: string[];
  /** True when the collection folder was already there (init used it as it is). */
  existingCollection: boolean;
  /** True when the collection has SkillMeat's manifest (collection.toml). */
  skillmeatManifest: boolean;
  /** The collection config.toml makes the default (after init). */
  defaultCollection: string;
  /** Set when config.toml names another default collection, which init leaves alone. */
  otherDefault?: string;
  /** Set when config.toml cannot be read; it is left alone. */
  configProblem?: string;
}

export class InitError extends Error {}

/**
 * Creates `<home>/collections/<name>` (skills/, commands/, agents/, collection.toml) and `<home>/config.toml` where
 * missing. Without a name it takes the default collection config.toml names (SkillMeat's), else "default".
 */
export function initCollection(home: string, requested?: string): InitResult {
  const name = requested ?? readHomeConfig(home).defaultCollection;
  if (!isCollectionName(name)) throw new InitError(`"${name}" is not a collection name: it becomes the folder ${path.join(home, 'collections', '<name>')}, so it cannot be empty, "." or "..", or hold a slash`);
  const collection = collectionDir(home, name);
  const created: string[] = [];
  const mkdir = (dir: string): void => {
    if (fs.existsSync(dir)) {
      if (!fs.statSync(dir).isDirectory()) throw new InitError(`${dir} exists and is not a folder: move it away and run init again`);
      return;
    }
    fs.mkdirSync(dir);
    created.push(dir);
  };
  /** Writes a new file; 'wx' fails rather than replace one that appeared meanwhile. */
  const create = (file: string, text: string): void => {
    try {
      fs.writeFileSync(file, text, { flag: 'wx' });
      created.push(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  };

  fs.mkdirSync(home, { recursive: true });
  if (!fs.existsSync(path.join(home, 'collections'))) mkdir(path.join(home, 'collections'));
  const existingCollection = fs.existsSync(collection);
  mkdir(collection);
  if (!existingCollection) {
    for (const dir of Object.values(TYPE_DIRS)) mkdir(path.join(collection, dir));
    // The manifest SkillMeat's own `skillmeat init` writes, so `skillmeat list` knows the collection too.
    create(path.join(collection, COLLECTION_MANIFEST_FILE), `[collection]\nname = "${name.replace(/["\\]/g, '\\$&')}"\nversion = "1.0.0"\n`);
  }
  const configFile = path.join(home, 'config.toml');
  if (!fs.existsSync(configFile)) create(configFile, `[settings]\ndefault-collection = "${name.replace(/["\\]/g, '\\$&')}"\n`);
  const cfg = readHomeConfig(home);
  return {
    home, name, collection, created, existingCollection,
    skillmeatManifest: fs.existsSync(path.join(collection, COLLECTION_MANIFEST_FILE)),
    defaultCollection: cfg.defaultCollection,
    ...(cfg.defaultCollection !== name ? { otherDefault: cfg.defaultCollection } : {}),
    ...(cfg.problem ? { configProblem: cfg.problem } : {}),
  };
}
