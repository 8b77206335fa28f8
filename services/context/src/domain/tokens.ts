/**
 * Exact token counts with the configured model's tokenizer (gpt-tokenizer): o200k_base for
 * gpt-4o / gpt-4.1 / gpt-5 / o-series and any model the library does not know, cl100k_base for
 * gpt-4 and gpt-3.5. Never estimated from characters.
 */
import { modelToEncodingMap } from 'gpt-tokenizer/mapping';
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { ValidationError } from '@clinote/shared/errors.js';

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
  return encodingForModel(model) === 'cl100k_base' ? countCl100k(text, PLAIN_TEXT) : countO200k(text, PLAIN_TEXT);
}
