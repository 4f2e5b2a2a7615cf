// `skillmeat-sync ambrogioctl …`: what the `ambrogioctl` shim on a generator's PATH runs. A port of the
// `state` and `memory` scopes of ambrogio's own src/cli/ambrogioctl.ts together with the RPC handlers of its
// job server (src/runtime/job-rpc-server.ts) that answer them, so a generator written for ambrogio reads the
// same bytes here: argument parsing (flags found anywhere, `--key`/`--value` or positionals), trimming, texts,
// JSON shapes, exit codes, and MEMORY.md. The recordings in test/fixtures/peers/ambrogio are the reference;
// the tests compare this port with them byte for byte. Where it differs on purpose, the comment says why.
// Output is data for a script: printed raw, never made terminal-safe.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StateError, defaultStateDbPath, detectStateKind, isWritable, openStateSource, parseStateKind, patternsOfArgument } from '../core/generators';
import type { StateEntry, StateSource } from '../core/generators';
import { preferFastWasmStartup, stateOpenOptions } from './generators';
import type { CliIO } from './output';

/** ambrogio's exit codes for the error codes its job server answers (mapErrorCodeToExit). */
const EXIT_CODE = { ok: 0, BAD_REQUEST: 2, NOT_FOUND: 3, other: 10 } as const;

type Rpc = { ok: true; result: unknown } | { ok: false; code: 'BAD_REQUEST' | 'NOT_FOUND'; message: string };

const rpcOk = (result: unknown): Rpc => ({ ok: true, result });
const rpcError = (code: 'BAD_REQUEST' | 'NOT_FOUND', message: string): Rpc => ({ ok: false, code, message });

function readFlag(args: readonly string[], name: string): string | null {
  const index = args.indexOf(name);
  if (index === -1) return null;
  return args[index + 1] ?? null;
}

/** The job server's readString: a non-empty string after trimming, else null. */
function readString(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : null;
}

/** Why a write cannot happen here, in ambrogio's words where it has some. */
class ShimRefusal extends Error {}

/** The state the shim answers from: SKILLMEAT_SYNC_STATE_DB/KIND (set by the shim), else the workspace default. */
async function openState(io: CliIO): Promise<StateSource> {
  const explicit = io.env.SKILLMEAT_SYNC_STATE_DB || undefined;
  const file = explicit ? path.resolve(io.cwd, explicit) : defaultStateDbPath(io.cwd, io.env);
  const kind = parseStateKind(io.env.SKILLMEAT_SYNC_STATE_KIND) ?? detectStateKind(file);
  return openStateSource({ path: file, kind }, stateOpenOptions(io));
}

/** ambrogio's StateStore.getAllRuntimeKeys: every row without a pattern, else `key LIKE pattern`, by key. */
function listRows(state: StateSource, pattern: string | undefined): StateEntry[] {
  return state.list(pattern === undefined ? ['*'] : patternsOfArgument(pattern));
}

function writableState(state: StateSource): StateSource & { set(k: string, v: string): unknown; delete(k: string): boolean } {
  if (!isWritable(state)) {
    // ambrogio's database is written by ambrogio alone (a real ambrogio's own ambrogioctl, never shadowed, does it)
    throw new ShimRefusal(`${state.path} is ambrogio's state database, which the SkillMeat Sync ambrogioctl shim only reads; change it with ambrogio's own ambrogioctl (with ambrogio running), or point the state database setting at SkillMeat Sync's own store`);
  }
  return state;
}

/** The job server's answers to the operations the `state` and `memory` scopes send. */
function handle(op: string, args: Record<string, unknown>, state: StateSource): Rpc {
  if (op === 'state.get') {
    const key = readString(args.key);
    if (!key) return rpcError('BAD_REQUEST', 'key is required and must not be empty.');
    const row = state.get(key);
    if (!row) return rpcError('NOT_FOUND', `Key not found: ${key}`);
    return rpcOk({ key, value: row.value });
  }
  if (op === 'state.set') {
    const key = readString(args.key);
    const value = readString(args.value);
    if (!key || value === null) return rpcError('BAD_REQUEST', 'key and value are required and must not be empty.');
    writableState(state).set(key, value);
    return rpcOk({ key, value });
  }
  if (op === 'state.delete') {
    const keys = Array.isArray(args.keys) ? args.keys.filter((k): k is string => typeof k === 'string' && k.trim().length > 0) : [];
    if (keys.length === 0) return rpcError('BAD_REQUEST', 'keys array is required and must not be empty.');
    const w = writableState(state);
    for (const k of keys) w.delete(k);
    // ambrogio counts the keys asked for, not the rows removed
    return rpcOk({ deleted: keys.length });
  }
  if (op === 'state.list') {
    const pattern = readString(args.pattern) ?? undefined;
    return rpcOk({ entries: listRows(state, pattern).map((e) => ({ key: e.key, value: e.value, updatedAt: e.updatedAt })) });
  }
  if (op === 'memory.add') {
    const id = readString(args.id);
    const type = readString(args.type);
    const data = readString(args.data);
    if (!id || !type || !data) return rpcError('BAD_REQUEST', 'id, type, and data are required.');
    if (type !== 'preference' && type !== 'fact' && type !== 'pattern') return rpcError('BAD_REQUEST', "type must be 'preference', 'fact', or 'pattern'.");
    writableState(state).set(`memory:${type}:${id}`, data);
    return rpcOk({ memoryId: id, type });
  }
  if (op === 'memory.get') {
    const id = readString(args.id);
    const type = readString(args.type);
    if (!id || !type) return rpcError('BAD_REQUEST', 'id and type are required.');
    const row = state.get(`memory:${type}:${id}`);
    if (!row) return rpcError('NOT_FOUND', `Memory not found: ${type}:${id}`);
    return rpcOk({ id, type, data: row.value });
  }
  if (op === 'memory.list' || op === 'memory.search') {
    const type = op === 'memory.list' ? readString(args.type) ?? undefined : undefined;
    const query = op === 'memory.search' ? readString(args.query) : '';
    if (query === null) return rpcError('BAD_REQUEST', 'query is required.');
    const entries = listRows(state, type ? `memory:${type}:*` : 'memory:*');
    const lowerQuery = query.toLowerCase();
    const matching = op === 'memory.list' ? entries : entries.filter((entry) => {
      try {
        const memoryData = JSON.parse(entry.value);
        const content = (memoryData.content ?? '').toLowerCase();
        const tags = Array.isArray(memoryData.tags) ? memoryData.tags.join(' ').toLowerCase() : '';
        return content.includes(lowerQuery) || tags.includes(lowerQuery);
      } catch {
        return false;
      }
    });
    const memories = matching.map((entry) => {
      const parts = entry.key.split(':');
      return { id: parts[2] ?? '', type: parts[1] ?? '', data: entry.value, updatedAt: entry.updatedAt };
    });
    return rpcOk(op === 'memory.list' ? { memories } : { matches: memories, query });
  }
  if (op === 'memory.delete') {
    const id = readString(args.id);
    const type = readString(args.type);
    if (!id || !type) return rpcError('BAD_REQUEST', 'id and type are required.');
    const key = `memory:${type}:${id}`;
    if (!state.get(key)) return rpcError('NOT_FOUND', `Memory not found: ${type}:${id}`);
    writableState(state).delete(key);
    return rpcOk({ deleted: true, id, type });
  }
  return rpcError('BAD_REQUEST', `Unknown operation: ${op}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- ambrogio's memory records are free-form JSON
type Memory = { id: string; data: any };

/** ambrogio's `memory sync` text: MEMORY.md from the memories (archived ones left out). */
export function memoryMarkdown(memories: readonly { id: string; type: string; data: string }[]): string {
  const preferences: Memory[] = [];
  const facts: Memory[] = [];
  const patterns: Memory[] = [];
  for (const memory of memories) {
    try {
      const parsed = JSON.parse(memory.data);
      if (parsed.status === 'archived') continue;
      const memoryObj = { id: memory.id, data: parsed };
      if (memory.type === 'preference') preferences.push(memoryObj);
      else if (memory.type === 'fact') facts.push(memoryObj);
      else if (memory.type === 'pattern') patterns.push(memoryObj);
    } catch {
      continue;
    }
  }
  const sortMemories = (a: Memory, b: Memory): number => {
    const confA = a.data.confidence ?? 0;
    const confB = b.data.confidence ?? 0;
    if (confA !== confB) return confB - confA;
    return new Date(b.data.createdAt).getTime() - new Date(a.data.createdAt).getTime();
  };
  preferences.sort(sortMemories);
  facts.sort(sortMemories);
  patterns.sort(sortMemories);
  // Bun formats toLocaleDateString() as en-US whatever LANG says (recorded); Node would follow LANG, so the
  // locale is named. The time zone is the process's (TZ), in both.
  const day = (value: unknown): string => new Date(value as string).toLocaleDateString('en-US');
  const lines: string[] = [
    '# Ambrogio Agent - Memory',
    '',
    "This file contains Ambrogio's long-term semantic memory across sessions.",
    '',
    '**Memory Types:**',
    "- **Preferences**: User's explicit choices (tools, communication style, workflows)",
    '- **Facts**: Contextual information (credentials, IPs, project details)',
    '- **Patterns**: Observed behaviors (habits, common mistakes)',
    '',
    '---',
    '',
  ];
  const formatSection = (list: Memory[], title: string): void => {
    if (list.length === 0) return;
    lines.push(`## ${title}`, '');
    for (const memory of list) {
      const m = memory.data;
      lines.push(`### ${m.content}`, '');
      lines.push(`- **ID**: \`${m.id}\``);
      lines.push(`- **Confidence**: ${m.confidence}%`);
      lines.push(`- **Source**: ${m.source}`);
      lines.push(`- **Created**: ${day(m.createdAt)}`);
      lines.push(`- **Last Updated**: ${day(m.updatedAt)}`);
      if (m.tags && m.tags.length > 0) lines.push(`- **Tags**: ${m.tags.map((t: string) => `\`${t}\``).join(', ')}`);
      if (m.context) lines.push(`- **Context**: ${m.context}`);
      if (m.status !== 'active') lines.push(`- **Status**: ${m.status}`);
      lines.push('');
    }
  };
  formatSection(preferences, 'User Preferences');
  formatSection(facts, 'Facts & Knowledge');
  formatSection(patterns, 'Behavioral Patterns');
  if (preferences.length === 0 && facts.length === 0 && patterns.length === 0) {
    lines.push('## No Memories Yet', '');
    lines.push('Use `ambrogioctl memory add` to create memories, or use the `memory-manager` skill.', '');
  }
  return lines.join('\n');
}

/** One scope's command line, answered like ambrogio's client does from its server's answer. */
async function runScope(scope: string, action: string | undefined, args: string[], io: CliIO, state: () => Promise<StateSource>): Promise<number> {
  const stdout = io.out;
  const stderr = io.err;
  const json = args.includes('--json');
  /** Sends `op` and prints the answer: `text(result)` lines, or the JSON, or the error. */
  const call = async (op: string, rpcArgs: Record<string, unknown>, text: (result: never) => void): Promise<number> => {
    const r = handle(op, rpcArgs, await state());
    if (!r.ok) { stderr(r.message); return EXIT_CODE[r.code]; }
    if (json) stdout(JSON.stringify(r.result));
    else text(r.result as never);
    return EXIT_CODE.ok;
  };

  if (scope === 'state') {
    if (!action) { stderr('Usage: ambrogioctl state <get|set|delete|list> [options]'); return 2; }
    if (action === 'get') {
      const key = readFlag(args, '--key') ?? args[0];
      if (!key) { stderr('key is required (use --key flag or positional argument)'); return 2; }
      return call('state.get', { key }, (r: { key: string; value: string }) => stdout(`${r.key}=${r.value}`));
    }
    if (action === 'set') {
      const key = readFlag(args, '--key') ?? args[0];
      const value = readFlag(args, '--value') ?? args[1];
      if (!key || value === null || value === undefined) { stderr('key and value are required (use --key and --value flags or positional arguments)'); return 2; }
      return call('state.set', { key, value }, (r: { key: string; value: string }) => stdout(`Set ${r.key}=${r.value}`));
    }
    if (action === 'delete') {
      const keys = args.filter((arg) => !arg.startsWith('--'));
      if (keys.length === 0) { stderr('at least one key is required'); return 2; }
      return call('state.delete', { keys }, (r: { deleted: number }) => stdout(`Deleted ${r.deleted} key(s)`));
    }
    if (action === 'list') {
      const pattern = readFlag(args, '--pattern') ?? undefined;
      return call('state.list', { pattern }, (r: { entries: StateEntry[] }) => {
        stdout(r.entries.length === 0 ? 'No keys found.' : r.entries.map((e) => `${e.key}=${e.value}`).join('\n'));
      });
    }
    stderr(`Unknown action: ${action}`);
    return 2;
  }

  // scope === 'memory'
  if (!action) { stderr('Usage: ambrogioctl memory <add|get|list|search|delete|sync> [options]'); return 2; }
  if (action === 'add') {
    const type = readFlag(args, '--type');
    const content = readFlag(args, '--content');
    const source = readFlag(args, '--source') ?? 'explicit';
    const confidence = readFlag(args, '--confidence') ?? '100';
    const tagsRaw = readFlag(args, '--tags');
    const tags = tagsRaw ? tagsRaw.split(',').map((tag) => tag.trim()) : [];
    const contextInfo = readFlag(args, '--context') ?? '';
    if (!type || !content) { stderr('--type and --content are required.'); return 2; }
    if (type !== 'preference' && type !== 'fact' && type !== 'pattern') { stderr("--type must be 'preference', 'fact', or 'pattern'."); return 2; }
    const now = new Date().toISOString();
    const memoryId = `mem-${now.split('T')[0]}-${Math.random().toString(36).slice(2, 9)}`;
    const data = JSON.stringify({
      id: memoryId, type, content, source, confidence: parseInt(confidence, 10), createdAt: now, updatedAt: now, lastAccessedAt: now,
      tags, context: contextInfo, status: 'active',
    });
    return call('memory.add', { id: memoryId, type, data }, (r: { memoryId: string; type: string }) => stdout(`Memory added: ${r.type}:${r.memoryId}`));
  }
  if (action === 'get') {
    const type = readFlag(args, '--type');
    const id = readFlag(args, '--id');
    if (!type || !id) { stderr('--type and --id are required.'); return 2; }
    return call('memory.get', { id, type }, (r: { id: string; type: string; data: string }) => {
      const parsed = JSON.parse(r.data);
      stdout(`ID: ${r.id}`);
      stdout(`Type: ${r.type}`);
      stdout(`Content: ${parsed.content}`);
      stdout(`Confidence: ${parsed.confidence}`);
      stdout(`Status: ${parsed.status}`);
      if (parsed.tags && parsed.tags.length > 0) stdout(`Tags: ${parsed.tags.join(', ')}`);
    });
  }
  const preview = (data: string): string | undefined => {
    try {
      const parsed = JSON.parse(data);
      return parsed.content.length > 60 ? `${parsed.content.slice(0, 57)}...` : parsed.content;
    } catch {
      return undefined;
    }
  };
  if (action === 'list') {
    const type = readFlag(args, '--type') ?? undefined;
    return call('memory.list', { type }, (r: { memories: { id: string; type: string; data: string }[] }) => {
      if (r.memories.length === 0) { stdout('No memories found.'); return; }
      for (const m of r.memories) {
        let confidence: unknown;
        try { confidence = JSON.parse(m.data).confidence; } catch { /* shown as invalid below */ }
        const p = preview(m.data);
        stdout(p === undefined ? `${m.type}:${m.id} | (invalid data)` : `${m.type}:${m.id} | ${p} | confidence: ${confidence}`);
      }
    });
  }
  if (action === 'search') {
    const query = readFlag(args, '--query');
    if (!query) { stderr('--query is required.'); return 2; }
    return call('memory.search', { query }, (r: { matches: { id: string; type: string; data: string }[]; query: string }) => {
      if (r.matches.length === 0) { stdout(`No matches found for query: "${r.query}"`); return; }
      stdout(`Found ${r.matches.length} match(es) for query: "${r.query}"`);
      for (const m of r.matches) {
        const p = preview(m.data);
        stdout(p === undefined ? `${m.type}:${m.id} | (invalid data)` : `${m.type}:${m.id} | ${p}`);
      }
    });
  }
  if (action === 'delete') {
    const type = readFlag(args, '--type');
    const id = readFlag(args, '--id');
    if (!type || !id) { stderr('--type and --id are required.'); return 2; }
    return call('memory.delete', { id, type }, () => stdout(`Memory deleted: ${type}:${id}`));
  }
  if (action === 'sync') {
    const dataRoot = io.env.DATA_ROOT ?? '/data';
    const outputPath = readFlag(args, '--output') ?? `${dataRoot}/MEMORY.md`;
    const r = handle('memory.list', {}, await state());
    if (!r.ok) { stderr(r.message); return EXIT_CODE[r.code]; }
    const { memories } = r.result as { memories: { id: string; type: string; data: string }[] };
    const target = path.resolve(io.cwd, outputPath);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, memoryMarkdown(memories));
    stdout(`MEMORY.md synced successfully to: ${outputPath}`);
    stdout(`Total memories: ${memories.length}`);
    return EXIT_CODE.ok;
  }
  stderr(`Unknown action: ${action}`);
  return 2;
}

/** The other scopes of the real ambrogioctl (jobs, Telegram, Mac tools, its own generator runner…). */
const AMBROGIO_ONLY_SCOPES = new Set(['status', 'telegram', 'mac', 'jobs', 'tasks', 'conversation', 'sync']);

/**
 * Runs `ambrogioctl ARGV…` as ambrogio would answer it for the `state` and `memory` scopes, from the state
 * database the shim names; returns the exit code. Other scopes need a running ambrogio and its own ambrogioctl.
 */
export async function ambrogioctlCommand(argv: string[], io: CliIO): Promise<number> {
  const [scope, action, ...args] = argv;
  preferFastWasmStartup();
  if (scope !== 'state' && scope !== 'memory') {
    if (AMBROGIO_ONLY_SCOPES.has(scope)) {
      io.err(`ambrogioctl ${scope}: not available here — SkillMeat Sync's ambrogioctl shim answers only 'state' and 'memory' (from ${io.env.SKILLMEAT_SYNC_STATE_DB || 'the workspace state database'}). For '${scope}', put ambrogio's own ambrogioctl on the PATH: the shim never hides it${scope === 'sync' ? '; SkillMeat Sync runs generators itself with "skillmeat-sync sync generate"' : ''}.`);
      return EXIT_CODE.other;
    }
    io.err('Usage: ambrogioctl <jobs|tasks|status|telegram|state|conversation|memory|sync> [options]');
    return 2;
  }
  let opened: StateSource | undefined;
  const state = async (): Promise<StateSource> => (opened ??= await openState(io));
  try {
    return await runScope(scope, action, args, io, state);
  } catch (e) {
    // ambrogio's client prints the message of whatever failed and exits 10
    io.err(e instanceof StateError || e instanceof ShimRefusal ? e.message : (e as Error)?.message ?? String(e));
    return EXIT_CODE.other;
  }
}
