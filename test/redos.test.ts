// Every regular expression in the services, the shared package and the scripts, checked for
// super-linear backtracking with recheck. Regexes are found by parsing each file with the TypeScript
// compiler (regex literals, `new RegExp(...)`/`RegExp(...)` and string patterns given to
// match/matchAll/search), with sources built from same-file constants folded in, so a new pattern
// is checked without being registered anywhere.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, type Diagnostics, type Parameters } from 'recheck';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOTS = ['services/*/src', 'packages/shared/src', 'scripts'];
const EXCLUDED = [/(^|\/)node_modules\//, /^packages\/shared\/src\/gen\//];

/**
 * Super-linear patterns kept on purpose, each with the bound on its input that makes it safe.
 * Prefer a linear rewrite: an entry here is a promise about every caller.
 */
const ALLOWED: { file: string; source: string; bound: string }[] = [];

/**
 * `new RegExp(...)` whose source cannot be folded from same-file constants, with why it is safe.
 * Each of their parts that is a literal is checked on its own.
 */
const DYNAMIC: { file: string; line: string; why: string }[] = [
  {
    file: 'services/extraction/src/domain/evaluation.ts',
    line: 'range.pattern.source',
    why: 'each VITAL_RANGES pattern is a literal (checked), followed by a gap of at most 20 characters and one number',
  },
  {
    file: 'services/extraction/src/domain/offline/social-history.ts',
    line: 'SUBSTANCES.map',
    why: 'an alternation of LIFE and the SUBSTANCES literals, each checked; alternatives of linear patterns are linear',
  },
  { file: 'services/extraction/src/domain/offline/social-history.ts', line: 'pronouns.subject', why: "`^she\\b`, `^he\\b` or `^the patient\\b`" },
  { file: 'services/extraction/src/domain/offline/review-of-systems.test.ts', line: 'f.symptom', why: 'a lexicon symptom name (plain words) matched against the test transcript' },
  { file: 'services/embedding/src/domain/embedding-cache.tiers.test.ts', line: '${a}|${b}', why: "two user ids, matched against the test's own Redis keys" },
];

// recheck runs without its per-attack wall-clock limits, so a verdict depends on the pattern alone and
// not on how busy the machine is (a timed-out attack validation reads as "vulnerable"): attack strings
// of 30,000 characters, vulnerable above 10^7 steps (a quadratic pattern takes ~10^9 there, a linear one
// far below). Large automata go to the fuzzer, which runs 5 generations: together ~25 s for the whole
// tree on 2 cores instead of several minutes. Calibrated on the patterns recheck's defaults flagged
// before the linear rewrite: these settings flag all of them but the five whose only super-linear part
// was a repeat bounded by 30 or 50 characters. A check that runs out of `timeout` fails unless allowed.
const PARAMETERS: Parameters = {
  attackTimeout: null,
  incubationTimeout: null,
  seedingTimeout: null,
  maxAttackStringSize: 30_000,
  attackLimit: 10_000_000,
  maxNFASize: 3_000,
  maxIteration: 5,
  timeout: 60_000,
};
const CONCURRENCY = 2;
// Verdicts kept between runs: the same pattern, flags, recheck version and parameters give the same one.
const CACHE = path.join(root, 'node_modules/.cache/clinote-redos.json');
const RECHECK_VERSION = (JSON.parse(readFileSync(path.join(root, 'node_modules/recheck/package.json'), 'utf8')) as { version: string }).version;

interface Found {
  file: string;
  line: number;
  column: number;
  source?: string;
  flags: string;
  /** The source text of the construction, for unresolved ones. */
  text: string;
}

function tsFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (EXCLUDED.some((re) => re.test(`${rel}/`))) continue;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  for (const pattern of ROOTS) {
    const [head, star, tail] = pattern.split('/');
    if (star === '*') {
      for (const d of readdirSync(path.join(root, head!), { withFileTypes: true })) {
        if (d.isDirectory()) {
          try {
            walk(`${head}/${d.name}/${tail}`);
          } catch {
            // A service without that folder.
          }
        }
      }
    } else walk(pattern);
  }
  return out.sort();
}

/** `/source/flags` of a regex literal token. */
function splitLiteral(text: string): { source: string; flags: string } {
  const end = text.lastIndexOf('/');
  return { source: text.slice(1, end), flags: text.slice(end + 1) };
}

/** Folds constant string expressions: literals, templates, same-file consts, `re.source`, `+`, `[...].join()`. */
class ConstantFolder {
  private readonly consts = new Map<string, ts.Expression | null>();

  constructor(sourceFile: ts.SourceFile) {
    const visit = (node: ts.Node): void => {
      if (ts.isVariableDeclarationList(node) && node.flags & ts.NodeFlags.Const) {
        for (const d of node.declarations) {
          if (!ts.isIdentifier(d.name) || !d.initializer) continue;
          // A name declared twice in one file is ambiguous without scopes: never folded.
          this.consts.set(d.name.text, this.consts.has(d.name.text) ? null : d.initializer);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }

  private initializer(name: string): ts.Expression | undefined {
    let e = this.consts.get(name) ?? undefined;
    while (e && (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e))) e = e.expression;
    return e;
  }

  /** The regex an expression stands for, when it is a literal or a foldable `new RegExp`. */
  regex(e: ts.Expression, depth = 0): { source: string; flags: string } | undefined {
    if (depth > 20) return undefined;
    if (ts.isRegularExpressionLiteral(e)) return splitLiteral(e.text);
    if (ts.isIdentifier(e)) {
      const init = this.initializer(e.text);
      return init ? this.regex(init, depth + 1) : undefined;
    }
    if ((ts.isNewExpression(e) || ts.isCallExpression(e)) && ts.isIdentifier(e.expression) && e.expression.text === 'RegExp') {
      const [src, flags] = e.arguments ?? [];
      const source = src ? this.string(src, depth + 1) : undefined;
      const f = flags ? this.string(flags, depth + 1) : '';
      return source !== undefined && f !== undefined ? { source, flags: f } : undefined;
    }
    return undefined;
  }

  string(e: ts.Expression, depth = 0): string | undefined {
    if (depth > 20) return undefined;
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (ts.isParenthesizedExpression(e)) return this.string(e.expression, depth + 1);
    if (ts.isTemplateExpression(e)) {
      let out = e.head.text;
      for (const span of e.templateSpans) {
        const part = this.string(span.expression, depth + 1);
        if (part === undefined) return undefined;
        out += part + span.literal.text;
      }
      return out;
    }
    if (ts.isIdentifier(e)) {
      const init = this.initializer(e.text);
      return init ? this.string(init, depth + 1) : undefined;
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const l = this.string(e.left, depth + 1);
      const r = this.string(e.right, depth + 1);
      return l !== undefined && r !== undefined ? l + r : undefined;
    }
    if (ts.isPropertyAccessExpression(e) && e.name.text === 'source') return this.regex(e.expression, depth + 1)?.source;
    if (ts.isPropertyAccessExpression(e) && e.name.text === 'flags') return this.regex(e.expression, depth + 1)?.flags;
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'join') {
      const items = this.array(e.expression.expression, depth + 1);
      const sep = e.arguments[0] ? this.string(e.arguments[0], depth + 1) : ',';
      return items && sep !== undefined ? items.join(sep) : undefined;
    }
    return undefined;
  }

  private array(e: ts.Expression, depth: number): string[] | undefined {
    if (depth > 20) return undefined;
    if (ts.isIdentifier(e)) {
      const init = this.initializer(e.text);
      return init ? this.array(init, depth + 1) : undefined;
    }
    if (ts.isArrayLiteralExpression(e)) {
      const out: string[] = [];
      for (const el of e.elements) {
        const part = ts.isSpreadElement(el) ? this.array(el.expression, depth + 1) : [this.string(el, depth + 1)];
        if (!part || part.some((p) => p === undefined)) return undefined;
        out.push(...(part as string[]));
      }
      return out;
    }
    // Object.keys({ ... }) of a same-file object literal.
    if (ts.isCallExpression(e) && e.expression.getText() === 'Object.keys' && e.arguments[0]) {
      let obj: ts.Expression | undefined = e.arguments[0];
      if (ts.isIdentifier(obj)) obj = this.initializer(obj.text);
      if (!obj || !ts.isObjectLiteralExpression(obj)) return undefined;
      const keys: string[] = [];
      for (const p of obj.properties) {
        if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) return undefined;
        if (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) keys.push(p.name.text);
        else return undefined;
      }
      return keys;
    }
    return undefined;
  }
}

function findRegexes(file: string): Found[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const folder = new ConstantFolder(sf);
  const found: Found[] = [];
  const at = (node: ts.Node): Pick<Found, 'file' | 'line' | 'column' | 'text'> => {
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return { file, line: line + 1, column: character + 1, text: node.getText(sf) };
  };
  const visit = (node: ts.Node): void => {
    if (ts.isRegularExpressionLiteral(node)) {
      found.push({ ...at(node), ...splitLiteral(node.text) });
    } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === 'RegExp') {
      const [src, flagsArg] = node.arguments ?? [];
      // `new RegExp(/literal/, ...)` is checked as the literal itself.
      if (src && !ts.isRegularExpressionLiteral(src)) {
        const source = folder.string(src);
        const flags = flagsArg ? folder.string(flagsArg) : '';
        found.push({ ...at(node), source: flags === undefined ? undefined : source, flags: flags ?? '' });
      }
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ['match', 'matchAll', 'search'].includes(node.expression.name.text) &&
      node.arguments.length === 1 &&
      (ts.isStringLiteral(node.arguments[0]!) || ts.isNoSubstitutionTemplateLiteral(node.arguments[0]!))
    ) {
      // A string given to match/matchAll/search is compiled as a pattern.
      found.push({ ...at(node), source: (node.arguments[0] as ts.StringLiteral).text, flags: node.expression.name.text === 'matchAll' ? 'g' : '' });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

async function mapConcurrent<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const key = (source: string, flags: string): string => `/${source}/${flags}`;
const cacheKey = (source: string, flags: string): string =>
  createHash('sha256').update(JSON.stringify([RECHECK_VERSION, PARAMETERS, source, flags])).digest('hex');

function readCache(): Record<string, string | null> {
  try {
    return JSON.parse(readFileSync(CACHE, 'utf8')) as Record<string, string | null>;
  } catch {
    return {};
  }
}

function verdict(d: Diagnostics): string | undefined {
  if (d.status === 'safe') return undefined;
  if (d.status === 'unknown') return `check ${d.error.kind}${'message' in d.error ? `: ${d.error.message}` : ''}`;
  const c = d.complexity;
  const kind = c.type === 'exponential' ? 'exponential' : `polynomial (degree ${c.degree})`;
  return `${kind}${c.isFuzz ? ' (fuzz)' : ''}; attack string of ${d.attack.string.length} chars: ${d.attack.pattern}`;
}

describe('regular expressions', () => {
  const files = tsFiles();
  const found = files.flatMap(findRegexes);

  it('finds the patterns of every source tree', () => {
    for (const dir of ['services/extraction/src/domain/offline', 'packages/shared/src', 'scripts']) {
      expect(found.some((f) => f.file.startsWith(dir)), dir).toBe(true);
    }
    expect(files.some((f) => f.startsWith('packages/shared/src/gen/'))).toBe(false);
  });

  it('builds every RegExp from foldable constants, or says why not', () => {
    const unresolved = found.filter((f) => f.source === undefined);
    const listed = (f: Found): boolean => DYNAMIC.some((d) => d.file === f.file && f.text.includes(d.line));
    const missing = unresolved.filter((f) => !listed(f)).map((f) => `${f.file}:${f.line}: ${f.text}`);
    expect(missing, 'RegExp sources that are not constant: make them foldable or list them in DYNAMIC').toEqual([]);
    const stale = DYNAMIC.filter((d) => !unresolved.some((f) => f.file === d.file && f.text.includes(d.line)));
    expect(stale, 'DYNAMIC entries that match nothing').toEqual([]);
  });

  it('has no super-linear backtracking (recheck)', { timeout: 300_000 }, async () => {
    const unique = new Map<string, { source: string; flags: string }>();
    for (const f of found) if (f.source !== undefined) unique.set(key(f.source, f.flags), { source: f.source, flags: f.flags });
    const cache = readCache();
    const results = new Map<string, string | undefined>();
    await mapConcurrent([...unique], CONCURRENCY, async ([k, { source, flags }]) => {
      const ck = cacheKey(source, flags);
      if (ck in cache) {
        results.set(k, cache[ck] ?? undefined);
        return;
      }
      const d = await check(source, flags, PARAMETERS);
      results.set(k, verdict(d));
      // A check that ran out of time is not a verdict: it is tried again next run.
      if (d.status !== 'unknown') cache[ck] = verdict(d) ?? null;
    });
    mkdirSync(path.dirname(CACHE), { recursive: true });
    writeFileSync(CACHE, JSON.stringify(cache));

    const failures: string[] = [];
    for (const f of found) {
      if (f.source === undefined) continue;
      const problem = results.get(key(f.source, f.flags));
      if (!problem) continue;
      if (ALLOWED.some((a) => a.file === f.file && a.source === f.source)) continue;
      failures.push(`${f.file}:${f.line}:${f.column} ${key(f.source, f.flags)}\n    ${problem}`);
    }
    const stale = ALLOWED.filter((a) => !found.some((f) => f.file === a.file && f.source === a.source && results.get(key(f.source, f.flags))));
    expect(stale.map((a) => `${a.file} /${a.source}/`), 'ALLOWED entries that are gone or now linear').toEqual([]);
    expect(failures.length, `super-linear regexes:\n${failures.join('\n')}`).toBe(0);
  });
});
