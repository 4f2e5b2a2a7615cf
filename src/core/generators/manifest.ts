// SYNC.json: parsing, schema validation (the one schema file that also drives editor IntelliSense) and
// the path checks a schema cannot express. ambrogio lets outputFile point anywhere and runs whatever
// `generator` names; here both stay where the user can see them unless a setting says otherwise (SPEC §7,
// §12): every manifest ambrogio accepts is accepted (its absolute `/data/…` outputs through the data root,
// unknown fields as warnings) or refused with a message naming the setting that allows it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import syncSchema from '../../../schemas/sync.schema.json';
import { isInside } from '../store/fsutil';
import { findJsonSyntaxError, jsonPointerOffsets, lineColumnAt } from './jsonSyntax';

/** The manifest a skill declares in SYNC.json (schema version "1"). */
export interface SyncManifest {
  version: '1';
  outputFile: string;
  patterns: string[];
  generator: string;
  description?: string;
}

/** Why a manifest is unusable. */
export type ManifestErrorCode =
  | 'unreadable'
  | 'malformed-json'
  | 'schema'
  | 'generator-outside'
  | 'generator-missing'
  | 'generator-not-runnable'
  | 'output-outside'
  | 'output-symlink'
  | 'output-is-directory'
  | 'output-reserved'
  | 'unknown-field';

/** One problem of a SYNC.json: the file, the field (JSON pointer), what is wrong and how to fix it. */
export interface ManifestError {
  code: ManifestErrorCode;
  /** Absolute path of the SYNC.json. */
  file: string;
  /** JSON pointer of the field, `""` for the whole document. */
  pointer: string;
  message: string;
  fix: string;
  /** 1-based position of the field (or of the syntax error) in the file, when known. */
  line?: number;
  column?: number;
}

/** How the runner starts a generator: directly when executable, else through its interpreter. */
export interface GeneratorCommand {
  command: string;
  args: string[];
}

/** A SYNC.json after validation; `valid` is true only when `errors` is empty. */
export interface ValidatedManifest {
  /** Absolute path of the SYNC.json. */
  file: string;
  skillDir: string;
  workspaceFolder: string;
  valid: boolean;
  errors: ManifestError[];
  /** The parsed manifest when it satisfies the schema (it may still fail the path checks). */
  manifest?: SyncManifest;
  /** Problems that do not stop a run (ambrogio accepts them): unknown fields. */
  warnings: ManifestError[];
  /** Absolute output path (lexically resolved) when `outputFile` passed its checks. */
  outputPath?: string;
  /** Absolute generator path when `generator` passed its checks. */
  generatorPath?: string;
  command?: GeneratorCommand;
}

/** Options of {@link validateManifest}. */
export interface ManifestValidationOptions {
  /** Absolute directories outside the workspace where an absolute `outputFile` may point. */
  allowedOutputDirs?: readonly string[];
  /**
   * The folder that stands for ambrogio's data root `/data` (its manifests say `/data/MEMORY.md`): such an
   * outputFile is written to `<dataRoot>/MEMORY.md`, and the data root is an allowed output directory.
   */
  dataRoot?: string;
  /** Accept a `generator` outside the skill directory (ambrogio runs any path; SkillMeat Sync does not by default). */
  allowGeneratorsOutsideSkill?: boolean;
}

/** ambrogio's data root, the prefix of the absolute outputFile its manifests use. */
export const AMBROGIO_DATA_ROOT = '/data';

/** The names of the settings a refusal points at (the VS Code setting; the CLI flag and variable). */
export const GENERATOR_SETTING_NAMES = {
  dataRoot: 'skillmeatSync.generators.dataRoot (CLI: --data-root DIR or DATA_ROOT)',
  allowedOutputDirs: 'skillmeatSync.generators.allowedOutputDirs (CLI: --allow-output DIR or SKILLMEAT_SYNC_OUTPUT_DIRS)',
  allowGeneratorsOutsideSkill: 'skillmeatSync.generators.allowGeneratorsOutsideSkill (CLI: --allow-generator-outside-skill)',
} as const;

/** The JSON Schema of SYNC.json, as shipped in `schemas/sync.schema.json`. */
export const SYNC_SCHEMA: Readonly<Record<string, unknown>> = syncSchema;

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
    // Editor-only annotations of the schema: VS Code reads them, Ajv must accept them in strict mode.
    ajv.addVocabulary(['markdownDescription', 'defaultSnippets']);
    compiled = ajv.compile(syncSchema);
  }
  return compiled;
}

const MAX_MANIFEST_BYTES = 1 << 20;

/** Interpreters used when a generator is not executable (a zip or a Windows checkout loses the +x bit). */
const INTERPRETERS: Record<string, string> = { '.sh': 'bash', '.bash': 'bash', '.py': 'python3' };

const FIELD_NAMES = Object.keys((syncSchema as { properties: Record<string, unknown> }).properties);

interface SchemaNode { description?: string; examples?: unknown[]; type?: string }

function propertySchema(name: string): SchemaNode {
  return ((syncSchema as { properties: Record<string, SchemaNode> }).properties[name]) ?? {};
}

function exampleOf(node: SchemaNode): string {
  return node.examples && node.examples.length > 0 ? JSON.stringify(node.examples[0]) : '""';
}

function fieldLabel(pointer: string): string {
  return pointer === '' ? 'the document' : `"${pointer.slice(1).replace(/\//g, '.').replace(/~1/g, '/').replace(/~0/g, '~')}"`;
}

/** Turns an Ajv error into the user's words: which field, what is wrong, what to write instead. */
function describeSchemaError(e: ErrorObject): { pointer: string; message: string; fix: string } {
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  switch (e.keyword) {
    case 'required': {
      const prop = String((e.params as { missingProperty: string }).missingProperty);
      const node = propertySchema(prop);
      return {
        pointer: `${e.instancePath}/${prop}`,
        message: `required field "${prop}" is missing`,
        fix: `add "${prop}": ${exampleOf(node)}${node.description ? ` — ${node.description}` : ''}`,
      };
    }
    case 'additionalProperties': {
      const prop = String((e.params as { additionalProperty: string }).additionalProperty);
      return {
        pointer: `${e.instancePath}/${prop.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: `unknown field "${prop}"`,
        fix: `remove "${prop}" or fix its spelling if it was meant to be one of ${FIELD_NAMES.join(', ')}; it is ignored (ambrogio ignores it too)`,
      };
    }
    case 'type': {
      const type = String((e.params as { type: string }).type);
      if (e.instancePath === '') {
        return { pointer: '', message: 'SYNC.json must hold a JSON object', fix: 'write an object such as {"version": "1", "outputFile": "NOTES.md", "patterns": ["notes:entry:*"], "generator": "./scripts/sync.sh"}' };
      }
      return {
        pointer: e.instancePath,
        message: `${fieldLabel(e.instancePath)} must be ${type === 'array' ? 'an array' : `a ${type}`}`,
        fix: `write it as ${exampleOf(parent)}${parent.description ? ` — ${parent.description}` : ''}`,
      };
    }
    case 'const': {
      const allowed = JSON.stringify((e.params as { allowedValue: unknown }).allowedValue);
      return { pointer: e.instancePath, message: `${fieldLabel(e.instancePath)} must be ${allowed}`, fix: `set it to ${allowed}` };
    }
    case 'minLength':
      return { pointer: e.instancePath, message: `${fieldLabel(e.instancePath)} must not be empty`, fix: `give it a value such as ${exampleOf(parent)}` };
    case 'minItems':
      return { pointer: e.instancePath, message: `${fieldLabel(e.instancePath)} must not be empty`, fix: `list at least one item, e.g. ${exampleOf(parent)}` };
    default:
      return {
        pointer: e.instancePath,
        message: `${fieldLabel(e.instancePath)} ${e.message ?? 'is invalid'}`,
        fix: parent.description ? `follow the rule: ${parent.description}` : 'see schemas/sync.schema.json',
      };
  }
}

function realpathOrUndefined(p: string): string | undefined {
  try { return fs.realpathSync(p); } catch { return undefined; }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try { return fs.lstatSync(p); } catch { return undefined; }
}

/**
 * Resolves the symlinks of the longest existing prefix of `p` and appends the rest, so a path that does
 * not exist yet can still be checked for a symlinked ancestor that leaves the workspace.
 * Returns undefined when a dangling symlink lies on the way (where the write would go is unknowable).
 */
export function realpathOfNearestAncestor(p: string): string | undefined {
  let current = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    const st = lstatOrUndefined(current);
    if (st) {
      const real = realpathOrUndefined(current);
      if (real === undefined) return undefined; // dangling symlink or a loop
      return rest.length ? path.join(real, ...rest.reverse()) : real;
    }
    const parent = path.dirname(current);
    if (parent === current) return current;
    rest.push(path.basename(current));
    current = parent;
  }
}

/** Problem of an output path, without the file/pointer context (shared with the runner's re-check). */
export interface OutputPathProblem {
  code: 'output-outside' | 'output-symlink' | 'output-is-directory';
  message: string;
  fix: string;
}

/**
 * Where an ambrogio-style absolute outputFile lands: `/data/X` is `<dataRoot>/X` when a data root is set.
 * Undefined when the path is not under ambrogio's data root (after normalising, so `/data/../x` is not).
 */
export function mapDataRoot(outputFile: string, dataRoot: string | undefined): string | undefined {
  if (!dataRoot || !outputFile.startsWith('/')) return undefined;
  const normal = path.posix.normalize(outputFile);
  if (normal !== AMBROGIO_DATA_ROOT && !normal.startsWith(`${AMBROGIO_DATA_ROOT}/`)) return undefined;
  const rest = normal.slice(AMBROGIO_DATA_ROOT.length).split('/').filter((p) => p !== '');
  return path.join(path.resolve(dataRoot), ...rest);
}

/**
 * Checks where a generator may write: relative paths resolve against the workspace folder and must stay
 * in it; absolute paths must lie in the workspace, an allowed directory or (ambrogio's `/data/…`, mapped)
 * the data root; no `..` or symlink may lead out.
 */
export function resolveOutputPath(outputFile: string, workspaceFolder: string, allowedOutputDirs: readonly string[] = [], dataRoot?: string): { path: string } | OutputPathProblem {
  const ws = path.resolve(workspaceFolder);
  const absolute = path.isAbsolute(outputFile);
  const mapped = absolute ? mapDataRoot(outputFile, dataRoot) : undefined;
  const candidate = mapped ?? (absolute ? path.normalize(outputFile) : path.resolve(ws, outputFile));
  const roots = absolute ? [ws, ...allowedOutputDirs.map((d) => path.resolve(d)), ...(dataRoot ? [path.resolve(dataRoot)] : [])] : [ws];
  const lexicalRoots = roots.filter((r) => isInside(r, candidate) && path.resolve(r) !== candidate);
  if (lexicalRoots.length === 0) {
    const ambrogioStyle = absolute && !dataRoot && mapDataRoot(outputFile, '/') !== undefined;
    return {
      code: 'output-outside',
      message: absolute
        ? `outputFile ${candidate} is outside the workspace folder ${ws}${allowedOutputDirs.length ? ` and the allowed output directories (${allowedOutputDirs.join(', ')})` : ''}${dataRoot ? ` and the data root ${dataRoot}` : ''}`
        : `outputFile "${outputFile}" resolves to ${candidate}, outside the workspace folder ${ws}`,
      fix: ambrogioStyle
        ? `it is under ambrogio's data root ${AMBROGIO_DATA_ROOT}: set ${GENERATOR_SETTING_NAMES.dataRoot} to the folder that stands for ${AMBROGIO_DATA_ROOT}, or add ${path.dirname(candidate)} to ${GENERATOR_SETTING_NAMES.allowedOutputDirs}`
        : absolute
          ? `use a path relative to the workspace folder (e.g. "NOTES.md"), or add ${path.dirname(candidate)} to ${GENERATOR_SETTING_NAMES.allowedOutputDirs}`
          : 'use a path relative to the workspace folder that does not climb out with "..", e.g. "NOTES.md"',
    };
  }
  const st = lstatOrUndefined(candidate);
  if (st?.isSymbolicLink()) {
    return {
      code: 'output-symlink',
      message: `outputFile ${candidate} is a symlink; the generated file would replace the link, and its target may lie anywhere`,
      fix: `point outputFile at the real file (${realpathOrUndefined(candidate) ?? 'the link is dangling'}) or remove the link`,
    };
  }
  if (st?.isDirectory()) {
    return { code: 'output-is-directory', message: `outputFile ${candidate} is a directory`, fix: 'name a file inside it, e.g. "docs/NOTES.md"' };
  }
  const real = realpathOfNearestAncestor(candidate);
  const realRoots = lexicalRoots.map((r) => realpathOfNearestAncestor(r)).filter((r): r is string => r !== undefined);
  if (real === undefined || !realRoots.some((r) => isInside(r, real))) {
    return {
      code: 'output-symlink',
      message: `outputFile ${candidate} leads through a symlink to ${real ?? 'a dangling link'}, outside ${lexicalRoots.map((r) => path.resolve(r)).join(', ')}`,
      fix: 'write to a directory of the workspace that is not a symlink to elsewhere',
    };
  }
  return { path: candidate };
}

function checkGenerator(generator: string, skillDir: string, allowOutside: boolean): { path: string; command: GeneratorCommand } | Omit<ManifestError, 'file' | 'pointer'> {
  const abs = path.resolve(skillDir, generator);
  if (abs === path.resolve(skillDir) || (!allowOutside && !isInside(skillDir, abs))) {
    return {
      code: 'generator-outside',
      message: abs === path.resolve(skillDir) ? `generator "${generator}" names the skill directory itself` : `generator "${generator}" resolves to ${abs}, outside the skill directory ${skillDir}`,
      fix: abs === path.resolve(skillDir)
        ? 'name the script, e.g. "./scripts/sync.sh"'
        : `put the script inside the skill directory and name it relative to it, e.g. "./scripts/sync.sh" — or, as ambrogio does, run generators from anywhere by setting ${GENERATOR_SETTING_NAMES.allowGeneratorsOutsideSkill}`,
    };
  }
  const st = lstatOrUndefined(abs);
  if (!st) {
    return { code: 'generator-missing', message: `generator ${abs} does not exist`, fix: `create it, or correct "generator" (it is relative to ${skillDir})` };
  }
  const realSkill = realpathOrUndefined(skillDir) ?? path.resolve(skillDir);
  const real = realpathOrUndefined(abs);
  if (real === undefined) {
    return { code: 'generator-missing', message: `generator ${abs} is a dangling symlink`, fix: 'point it at a script inside the skill directory' };
  }
  if (!allowOutside && !isInside(realSkill, real)) {
    return {
      code: 'generator-outside',
      message: `generator ${abs} is a symlink to ${real}, outside the skill directory ${skillDir}`,
      fix: `copy the script into the skill directory instead of linking to it, or set ${GENERATOR_SETTING_NAMES.allowGeneratorsOutsideSkill}`,
    };
  }
  const stat = fs.statSync(real);
  if (!stat.isFile()) {
    return { code: 'generator-not-runnable', message: `generator ${abs} is not a file`, fix: 'name the script file itself, e.g. "./scripts/sync.sh"' };
  }
  let executable = false;
  try { fs.accessSync(real, fs.constants.X_OK); executable = true; } catch { /* not executable */ }
  if (executable) return { path: abs, command: { command: abs, args: [] } };
  const interpreter = INTERPRETERS[path.extname(abs).toLowerCase()];
  if (interpreter) return { path: abs, command: { command: interpreter, args: [abs] } };
  return {
    code: 'generator-not-runnable',
    message: `generator ${abs} is not executable`,
    fix: `run "chmod +x ${abs}" (or use a .sh or .py script, which runs through bash or python3)`,
  };
}

/** Parses a SYNC.json text; a syntax error carries its line and column. */
export function parseManifestText(text: string, file: string): { value: unknown } | { error: ManifestError } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { value: JSON.parse(body) as unknown };
  } catch (e) {
    const where = findJsonSyntaxError(body) ?? { message: (e as Error).message, offset: body.length, ...lineColumnAt(body, body.length) };
    return {
      error: {
        code: 'malformed-json',
        file,
        pointer: '',
        line: where.line,
        column: where.column,
        message: `${path.basename(file)} is not valid JSON: ${where.message} at line ${where.line}, column ${where.column}`,
        fix: `correct the JSON syntax at line ${where.line}, column ${where.column} of ${file}`,
      },
    };
  }
}

/**
 * Validates a SYNC.json: the schema first (every violation, each naming its field), then the checks a
 * schema cannot express — the generator stays inside the skill directory and is runnable, the output stays
 * inside the workspace folder or an allowed directory.
 */
export function validateManifest(file: string, workspaceFolder: string, opts: ManifestValidationOptions = {}): ValidatedManifest {
  const absFile = path.resolve(file);
  const skillDir = path.dirname(absFile);
  const ws = path.resolve(workspaceFolder);
  const result: ValidatedManifest = { file: absFile, skillDir, workspaceFolder: ws, valid: false, errors: [], warnings: [] };
  let text: string;
  try {
    // a manifest is a few hundred bytes; refuse to load something huge that was misnamed SYNC.json
    const size = fs.statSync(absFile).size;
    if (size > MAX_MANIFEST_BYTES) {
      result.errors.push({
        code: 'unreadable', file: absFile, pointer: '',
        message: `${absFile} is ${size} bytes, far too large for a SYNC.json manifest`,
        fix: 'replace it with a small JSON object (version, outputFile, patterns, generator)',
      });
      return result;
    }
    text = fs.readFileSync(absFile, 'utf8');
  } catch (e) {
    result.errors.push({
      code: 'unreadable', file: absFile, pointer: '',
      message: `cannot read ${absFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      fix: 'check that the file exists and is readable by you',
    });
    return result;
  }
  const parsed = parseManifestText(text, absFile);
  if ('error' in parsed) {
    result.errors.push(parsed.error);
    return result;
  }
  const value = parsed.value;
  const validate = schemaValidator();
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let offsets: Map<string, number> | undefined;
  const locate = (pointer: string): { line?: number; column?: number } => {
    offsets ??= jsonPointerOffsets(body);
    // a missing field is shown where its object starts
    let p = pointer;
    while (!offsets.has(p) && p !== '') p = p.slice(0, p.lastIndexOf('/'));
    const offset = offsets.get(p);
    return offset === undefined ? {} : lineColumnAt(body, offset);
  };
  if (!validate(value)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const d = describeSchemaError(e);
      // one message per field: `version: 1` fails both `type` and `const`, and one fix covers both
      if (seen.has(d.pointer)) continue;
      seen.add(d.pointer);
      // ambrogio ignores fields it does not know: a warning (the editor's schema check shows it too), not a refusal
      if (e.keyword === 'additionalProperties' && e.instancePath === '') result.warnings.push({ code: 'unknown-field', file: absFile, ...d, ...locate(d.pointer) });
      else result.errors.push({ code: 'schema', file: absFile, ...d, ...locate(d.pointer) });
    }
  }
  const obj = (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  const badFields = new Set(result.errors.map((e) => e.pointer.split('/')[1]));
  if (typeof obj.generator === 'string' && !badFields.has('generator')) {
    const g = checkGenerator(obj.generator, skillDir, opts.allowGeneratorsOutsideSkill === true);
    if ('code' in g) result.errors.push({ ...g, file: absFile, pointer: '/generator', ...locate('/generator') });
    else { result.generatorPath = g.path; result.command = g.command; }
  }
  if (typeof obj.outputFile === 'string' && !badFields.has('outputFile')) {
    const o = resolveOutputPath(obj.outputFile, ws, opts.allowedOutputDirs, opts.dataRoot);
    if ('code' in o) {
      result.errors.push({ ...o, file: absFile, pointer: '/outputFile', ...locate('/outputFile') });
    } else {
      const reserved = [absFile, path.join(skillDir, 'SKILL.md'), result.generatorPath].filter((p): p is string => !!p);
      if (reserved.includes(o.path)) {
        result.errors.push({
          code: 'output-reserved', file: absFile, pointer: '/outputFile', ...locate('/outputFile'),
          message: `outputFile ${o.path} would overwrite the skill's own ${path.basename(o.path)}`,
          fix: 'choose a separate file, e.g. "NOTES.md" at the workspace root',
        });
      } else {
        result.outputPath = o.path;
      }
    }
  }
  if (!result.errors.some((e) => e.code === 'schema')) result.manifest = value as SyncManifest;
  result.errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  result.valid = result.errors.length === 0;
  return result;
}
