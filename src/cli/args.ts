// The CLI's one argument parser, on node:util.parseArgs, and the help generated from the same command tables:
// a command's options are declared once, so what it accepts and what its --help says cannot disagree.
import { parseArgs as parseNodeArgs, type ParseArgsConfig } from 'node:util';

export const PROGRAM = 'skillmeat-sync';

/** A wrong command line. Every command reports it with a pointer to its --help and exits 2. */
export class UsageError extends Error {}

/** One option: how it parses and its line in the help. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One line for the help. */
  help: string;
  /** What the value is called in the help (`DIR`, `N`); string options only. */
  value?: string;
  /** May be given several times, every value kept in order; other string options may be given once. */
  multiple?: boolean;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** One command: its line in the help, the options it takes beyond its group's, and its handler. */
export interface CommandSpec<Run> {
  /** What follows the command's name in its synopsis: positionals and the options that matter (`NAME... [--force]`). */
  synopsis: string;
  /** One line: what the command does. */
  summary: string;
  options?: OptionTable;
  /** Printed after the options in the command's --help: exit codes, formats, environment. */
  details?: string;
  run: Run;
}

/** Commands that share a name prefix and common options: the top-level commands, `sync …`, `state …`. */
export interface CommandGroup<Run> {
  /** The words between the program and a command's name: '' for the top level, 'sync', 'state'. */
  prefix: string;
  /** One line for the group's help. */
  summary: string;
  commands: Readonly<Record<string, CommandSpec<Run>>>;
  /** Options every command of the group takes. */
  common: OptionTable;
  /** Printed after the common options in the group's help. */
  details?: string;
}

export interface ParsedArgs {
  positionals: string[];
  /** The options given: `true` for a boolean, the value, or every value of a `multiple` option. */
  flags: Map<string, string | true | string[]>;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', help: 'show this help' };

/** The value of a string option, if given. */
export function flagString(a: ParsedArgs, name: string): string | undefined {
  const v = a.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a `multiple` option, in order (none when not given). */
export function flagList(a: ParsedArgs, name: string): string[] {
  const v = a.flags.get(name);
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** `sync generate`, `check`: a command's full name without the program. */
export function commandName(group: CommandGroup<unknown>, name: string): string {
  return group.prefix ? `${group.prefix} ${name}` : name;
}

/** The command `name` of a group, if there is one (never an Object.prototype property). */
export function findCommand<Run>(group: CommandGroup<Run>, name: string | undefined): CommandSpec<Run> | undefined {
  return name !== undefined && Object.hasOwn(group.commands, name) ? group.commands[name] : undefined;
}

function optionsOf(group: CommandGroup<unknown>, name: string): OptionTable {
  return { ...group.commands[name].options, ...group.common, help: HELP_OPTION };
}

/**
 * node's parseArgs reads any argument that starts with "-" as short options ("-1" as -1, "- item" as - , -i, -t…),
 * while this CLI has always taken one as a positional or an option's value: generators run `state set KEY VALUE`
 * through the ambrogioctl shim with any VALUE. `-h` is the only short option; every other such argument is swapped
 * for a placeholder while parsing (an argv string cannot contain NUL, so no real argument looks like one).
 */
function hideDashArguments(argv: readonly string[]): { args: string[]; reveal: (s: string) => string } {
  const hidden: string[] = [];
  const end = argv.indexOf('--');
  const args = argv.map((a, i) => ((end === -1 || i < end) && /^-[^-]/.test(a) && a !== '-h' ? `\0${hidden.push(a) - 1}` : a));
  return { args, reveal: (s) => (s.startsWith('\0') ? hidden[Number(s.slice(1))] ?? s : s) };
}

function nodeOptions(table: OptionTable): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(Object.entries(table).map(([n, o]) => [n, { type: o.type, multiple: !!o.multiple, ...(n === 'help' ? { short: 'h' } : {}) }]));
}

/**
 * Parses the arguments after a command's name against its option table. Errors are {@link UsageError}s that
 * name the option: `unknown option --x`, `check does not take --force`, `--x needs a value`, `--x given more than once`.
 */
export function parseCommandArgs(group: CommandGroup<unknown>, name: string, argv: readonly string[]): ParsedArgs {
  const table = optionsOf(group, name);
  const { args, reveal } = hideDashArguments(argv);
  const config = { args, options: nodeOptions(table), allowPositionals: true, tokens: true } as const;
  let parsed;
  try {
    parsed = parseNodeArgs({ ...config, strict: true });
  } catch (e) {
    if (!String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) throw e;
    // node's messages vary between versions and do not say what to do; find the argument again and say it our way
    throw explain(group, name, table, parseNodeArgs({ ...config, strict: false }).tokens, reveal) ?? new UsageError((e as Error).message);
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option') continue;
    const o = table[t.name];
    if (seen.has(t.name) && o.type === 'string' && !o.multiple) throw new UsageError(`--${t.name} given more than once`);
    seen.add(t.name);
  }
  const flags: ParsedArgs['flags'] = new Map();
  for (const [n, v] of Object.entries(parsed.values)) {
    if (Array.isArray(v)) flags.set(n, v.map((x) => reveal(String(x))));
    else if (typeof v === 'string') flags.set(n, reveal(v));
    else if (v) flags.set(n, true);
  }
  return { positionals: parsed.positionals.map(reveal), flags };
}

type Token = ReturnType<typeof parseNodeArgs>['tokens'] extends (infer T)[] | undefined ? T : never;

function explain(group: CommandGroup<unknown>, name: string, table: OptionTable, tokens: Token[] | undefined, reveal: (s: string) => string): UsageError | undefined {
  for (const t of tokens ?? []) {
    if (t.kind !== 'option') continue;
    const o = Object.hasOwn(table, t.name) ? table[t.name] : undefined;
    if (!o) {
      const elsewhere = Object.values(group.commands).some((c) => c.options && Object.hasOwn(c.options, t.name));
      return new UsageError(elsewhere ? `${commandName(group, name)} does not take --${t.name}` : `unknown option ${t.rawName}`);
    }
    if (o.type === 'boolean' && t.value !== undefined) return new UsageError(`${t.rawName} takes no value`);
    if (o.type === 'string' && t.value === undefined) return new UsageError(`${t.rawName} needs a value`);
    if (o.type === 'string' && !t.inlineValue && t.value?.startsWith('-')) {
      return new UsageError(`${t.rawName} needs a value (got the option ${t.value}; to give a value that starts with "-", write ${t.rawName}=${reveal(t.value)})`);
    }
  }
  return undefined;
}

/** Text to print instead of running a command, and the exit code. */
export interface HelpResult { text: string; stream: 'out' | 'err'; code: number }

/**
 * Resolves `<command> [args…]` within a group: its help (the group's without a command or with help/--help/-h,
 * the command's with --help/-h anywhere) or the command to run with its parsed arguments. A wrong command line
 * is a {@link UsageError}.
 */
export function resolveCommand<Run>(group: CommandGroup<Run>, argv: readonly string[]): HelpResult | { name: string; run: Run; args: ParsedArgs } {
  const [name, ...rest] = argv;
  if (name === undefined) return { text: groupHelp(group), stream: 'err', code: 2 };
  if (name === '--help' || name === '-h' || name === 'help') return { text: groupHelp(group), stream: 'out', code: 0 };
  const spec = findCommand(group, name);
  if (!spec) {
    const names = Object.keys(group.commands);
    throw new UsageError(`unknown command "${commandName(group, name)}"; use ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`);
  }
  const args = parseCommandArgs(group, name, rest);
  if (args.flags.has('help')) return { text: commandHelp(group, name), stream: 'out', code: 0 };
  return { name, run: spec.run, args };
}

// ---- help text ----

/** Where a command's summary starts in a list: synopses longer than this put it on the next line. */
const SUMMARY_COLUMN = 35;
/** Help lines are wrapped at this width. */
const WIDTH = 100;

/** Two-column lines: the right column from `column` (or the next line when the left is too long), wrapped at WIDTH. */
function columns(rows: readonly (readonly [string, string])[], column = SUMMARY_COLUMN): string[] {
  return rows.flatMap(([left, right]) => {
    const lines: string[] = [];
    for (const word of right.split(' ')) {
      const last = lines.length - 1;
      if (last >= 0 && lines[last].length + 1 + word.length <= WIDTH - column) lines[last] += ` ${word}`;
      else lines.push(word);
    }
    const l = `  ${left}`;
    const pad = ' '.repeat(column);
    return l.length < column - 1 ? [l.padEnd(column) + lines[0], ...lines.slice(1).map((x) => pad + x)] : [l, ...lines.map((x) => pad + x)];
  });
}

function optionLines(table: OptionTable): string[] {
  const rows = Object.entries(table).map(([n, o]) => [
    `${n === 'help' ? '-h, ' : ''}--${n}${o.value ? ` ${o.value}` : ''}`,
    `${o.help}${o.multiple ? '; may be given more than once' : ''}`,
  ] as const);
  return columns(rows, Math.min(SUMMARY_COLUMN, 4 + Math.max(...rows.map(([l]) => l.length))));
}

/** The help lines of a group's common options, with -h/--help. */
export function commonOptionList(group: CommandGroup<unknown>): string {
  return optionLines({ ...group.common, help: HELP_OPTION }).join('\n');
}

function synopsisOf(group: CommandGroup<unknown>, name: string): string {
  return [commandName(group, name), group.commands[name].synopsis].filter(Boolean).join(' ');
}

/** The command list of the global help (and of the README): one entry per command of every group, in table order. */
export function commandList(groups: readonly CommandGroup<unknown>[]): string {
  return columns(groups.flatMap((g) => Object.keys(g.commands).map((n) => [synopsisOf(g, n), g.commands[n].summary] as const))).join('\n');
}

/** The short pointer printed under a usage error. */
export function usageHint(group: CommandGroup<unknown>, command?: string): string {
  const name = findCommand(group, command) ? command : undefined;
  const usage = name === undefined ? `${[PROGRAM, group.prefix].filter(Boolean).join(' ')} <command> [options]` : `${PROGRAM} ${synopsisOf(group, name)} [options]`;
  const help = [PROGRAM, group.prefix, name].filter(Boolean).join(' ');
  return `Usage: ${usage}\nRun "${help} --help" for ${name === undefined ? 'its commands' : 'its options'}.`;
}

/** A command's --help: synopsis, what it does, every option it takes (its own, then its group's), details. */
export function commandHelp(group: CommandGroup<unknown>, name: string): string {
  const c = group.commands[name];
  return [
    `Usage: ${PROGRAM} ${synopsisOf(group, name)} [options]`,
    '',
    c.summary.charAt(0).toUpperCase() + c.summary.slice(1) + '.',
    '',
    'Options:',
    ...optionLines(optionsOf(group, name)),
    ...(c.details ? ['', c.details] : []),
    ...(group.details ? ['', group.details] : []),
  ].join('\n');
}

/** A group's --help (`sync --help`): its commands, the options they all take, a pointer to each command's help. */
export function groupHelp(group: CommandGroup<unknown>): string {
  const full = [PROGRAM, group.prefix].filter(Boolean).join(' ');
  return [
    `Usage: ${full} <command> [options]`,
    '',
    group.summary.charAt(0).toUpperCase() + group.summary.slice(1) + '.',
    '',
    'Commands:',
    commandList([{ ...group, prefix: '' }]),
    '',
    'Options of every command:',
    commonOptionList(group),
    ...(group.details ? ['', group.details] : []),
    '',
    `Run "${full} <command> --help" for the options of one command.`,
  ].join('\n');
}
