/**
 * Exact token counts with the configured model's tokenizer (gpt-tokenizer): o200k_base for
 * gpt-4o / gpt-4.1 / gpt-5 / o-series and any model the library does not know, cl100k_base for
 * gpt-4 and gpt-3.5. Never estimated from characters.
 */
import { createRequire } from 'node:module';
import { modelToEncodingMap } from 'gpt-tokenizer/mapping';
import { ValidationError } from '@clinote/shared/errors.js';

type CountTokens = (text: string, options: { disallowedSpecial: Set<string> }) => number;

// Each encoding's tables take tens of MB per thread (o200k ~67 MB, cl100k ~19 MB): loaded (synchronously,
// through the package's CommonJS build) the first time a thread counts with it, so a worker that never
// counts and a process that never sees a gpt-4 model do not hold them.
const require = createRequire(import.meta.url);
const counters = new Map<TokenEncoding, CountTokens>();
function counterFor(encoding: TokenEncoding): CountTokens {
  let count = counters.get(encoding);
  if (!count) {
    // Literal specifiers, so a bundler sees both.
    const module = (encoding === 'cl100k_base' ? require('gpt-tokenizer/encoding/cl100k_base') : require('gpt-tokenizer/encoding/o200k_base')) as {
      countTokens: CountTokens;
    };
    count = module.countTokens;
    counters.set(encoding, count);
  }
  return count;
}

export type TokenEncoding = 'o200k_base' | 'cl100k_base';

/** The encoding a model uses; unknown models fall back to o200k_base (all current OpenAI chat models). */
export function encodingForModel(model: string): TokenEncoding {
  const known = (modelToEncodingMap as Record<string, string | undefined>)[model.trim()];
  if (known === undefined || known === 'o200k_base' || known === 'o200k_harmony') return 'o200k_base';
  if (known === 'cl100k_base') return 'cl100k_base';
  // p50k/r50k are retired completion models: counting them with another vocabulary would be wrong.
  throw ValidationError.field('model', `model uses the ${known} encoding, which context selection does not support`);
}

// Text that spells a special token ("<|endoftext|>") is patient data, counted as plain text, not rejected.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Number of tokens `text` costs for `model`. Harmony's plain-text vocabulary equals o200k's. */
export function countTokens(model: string, text: string): number {
  if (text.length === 0) return 0;
  const count = counterFor(encodingForModel(model));
  let total = 0;
  for (const segment of tokenizerSegments(text)) total += count(segment, PLAIN_TEXT);
  return total;
}

/**
 * The tokenizer merges each pre-tokenized piece in time quadratic in its length, so a transcript-long
 * run without spaces ("%%%%…", 200k emoji) took minutes. Text is counted in segments of at most this
 * many characters, cut before a space between two non-spaces: both tokenizers' pieces end there
 * anyway, so ordinary text counts exactly. Only a longer run with no such space is cut inside (within
 * one token per cut).
 */
export const MAX_TOKENIZER_SEGMENT = 1_000;

export function tokenizerSegments(text: string): string[] {
  const segments: string[] = [];
  const isSpace = (i: number) => /\s/.test(text[i] ?? ' ');
  let start = 0;
  while (text.length - start > MAX_TOKENIZER_SEGMENT) {
    let cut = start + MAX_TOKENIZER_SEGMENT;
    while (cut > start + 1 && !(text[cut] === ' ' && !isSpace(cut - 1) && !isSpace(cut + 1))) cut--;
    if (cut === start + 1) {
      cut = start + MAX_TOKENIZER_SEGMENT;
      // Never between the halves of a surrogate pair.
      if (/[\ud800-\udbff]/.test(text[cut - 1]!)) cut--;
    }
    segments.push(text.slice(start, cut));
    start = cut;
  }
  segments.push(text.slice(start));
  return segments;
}
