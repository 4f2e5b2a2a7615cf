// The secret scan before anything enters a shared collection (SPEC §8): every file about to be written there is
// checked with secretlint's maintained rules (its recommended preset: cloud keys, GitHub/Slack/npm/OpenAI/Anthropic
// tokens, private keys, basic auth and database URLs…, plus its no-dotenv rule for `.env` files) — a well-kept rule
// set, not regexes of our own. Findings never carry the secret itself (secretlint masks it).

/** secretlint, loaded on the first scan (a separate bundle: see secretlintEngine.ts and esbuild.mjs). */
let engine: typeof import('./secretlintEngine') | undefined;

/** A possible secret: where it is and which rule found it (the value is never included). */
export interface SecretFinding {
  /** Absolute path of the file as it would be written. */
  file: string;
  line: number;
  column: number;
  /** The rule and the kind of secret, e.g. `@secretlint/secretlint-rule-github` / `GITHUB_TOKEN`. */
  rule: string;
  kind: string;
  /** secretlint's message, with the value masked. */
  message: string;
}

/** Files larger than this are not scanned as text (a skill's binary assets); they are listed as unscanned instead. */
const MAX_TEXT_BYTES = 4 * 1024 * 1024;

/** Scans files (path + content) and returns every finding, sorted by file and line. */
export async function scanForSecrets(files: readonly { path: string; data: Buffer }[]): Promise<SecretFinding[]> {
  const out: SecretFinding[] = [];
  if (files.length === 0) return out;
  // A require (not import()): esbuild rewrites it to ./secretlint.js, and tsx (the tests) resolves it to the source.
  const { lintSource, CONFIG } = (engine ??= require('./secretlintEngine') as typeof import('./secretlintEngine'));
  for (const f of files) {
    const binary = f.data.length > MAX_TEXT_BYTES || f.data.subarray(0, 8000).includes(0);
    const r = await lintSource({
      // A binary file is still checked by name (a .env, a key file), with no content to read.
      source: { filePath: f.path, content: binary ? '' : f.data.toString('utf8'), contentType: binary ? 'binary' : 'text' },
      options: { config: CONFIG as never, maskSecrets: true },
    });
    for (const m of r.messages) {
      out.push({ file: f.path, line: m.loc.start.line, column: m.loc.start.column + 1, rule: m.ruleId, kind: m.messageId, message: m.message });
    }
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

/** One line per finding, for the CLI and the log: `file:line:column kind (rule)`. */
export function describeFinding(f: SecretFinding): string {
  return `${f.file}:${f.line}:${f.column} ${f.kind} (${f.rule.replace('@secretlint/secretlint-rule-', '')})`;
}
