import { createHmac } from 'node:crypto';

// Speaker labels in their many spellings ("[doctor]", "Doctor:", "DOCTOR :") at the start of a turn.
const ROLES = 'doctor|patient|nurse|clinician|provider|physician|guest_family|guest_clinician|patient_guest';
const SPEAKER_TAG = new RegExp(`(^|\\n)[ \\t]*(?:\\[[ \\t]*(${ROLES})[ \\t]*\\][ \\t]*:?|(${ROLES})[ \\t]*:)`, 'gi');
const SPEAKER_MARK = '\u0000';

// One token: a speaker mark; a number (a leading minus only when it is not a hyphen inside a word,
// decimal/thousands/ratio separators kept: "1.5" ≠ "15", "-2" ≠ "2", "120/80"); a word (inner
// apostrophes and hyphens kept); or one punctuation character repeated ("!!!" → "!").
const TOKEN = /\u0000[a-z_]+|(?<![\p{L}\p{N}])-?\d+(?:[.,:/]\d+)*|\p{L}+(?:['-]\p{L}+)*|([^\s\p{L}\p{N}])\1*/gu;

// Hesitations carry no meaning; a comma right after one goes with it.
const DISFLUENCIES = new Set(['um', 'umm', 'uh', 'uhm', 'uhh', 'er', 'erm', 'hmm']);
// Punctuation that ends a turn or the text is formatting, not content; "?" is kept (question ≠ statement).
const TERMINAL = new Set(['.', '!', ';', ',']);
const QUOTES = new Set(['"', '`']);

/**
 * Canonical form of a text for cache lookup. It removes only differences that cannot change clinical
 * meaning: Unicode compatibility forms, case, whitespace and line breaks, spacing around punctuation,
 * repeated punctuation, quote marks and dash/apostrophe variants, speaker-tag formatting, hesitations
 * ("um", "uh") and punctuation that ends a turn. Everything that can carry meaning stays: words
 * (negations, laterality, "denies"/"reports"), numbers with their sign and decimal point, units, and
 * sentence-internal punctuation ("No. Chest pain." ≠ "No chest pain.").
 */
export function normalizeForCache(text: string): string {
  const unified = text
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .toLowerCase()
    .replace(SPEAKER_TAG, (_m, lead: string, bracketed?: string, bare?: string) => `${lead} ${SPEAKER_MARK}${(bracketed ?? bare ?? '').toLowerCase()} `);

  const tokens: string[] = [];
  let afterDisfluency = false;
  for (const match of unified.matchAll(TOKEN)) {
    const token = match[1] ?? match[0]; // a punctuation run becomes one character
    if (QUOTES.has(token)) continue;
    if (DISFLUENCIES.has(token)) {
      afterDisfluency = true;
      continue;
    }
    const skip = afterDisfluency && token === ',';
    afterDisfluency = false;
    if (skip) continue;
    if (token.startsWith(SPEAKER_MARK)) {
      dropTerminal(tokens);
      tokens.push(`[${token.slice(1)}]`);
      continue;
    }
    tokens.push(token);
  }
  dropTerminal(tokens);
  return tokens.join(' ');
}

function dropTerminal(tokens: string[]): void {
  while (tokens.length > 0 && TERMINAL.has(tokens[tokens.length - 1]!)) tokens.pop();
}

/** What a cache key is computed over: whose entry, which vector space, which text. */
export interface CacheKeyParts {
  /** The clinician the entry belongs to: another clinician's same text is another entry. */
  userId: string;
  model: string;
  version: string;
  text: string;
}

/** Secrets shorter than this are refused: the key must not be guessable from the texts it covers. */
export const MIN_CACHE_KEY_SECRET_BYTES = 32;

/**
 * Cache key of an embedding: HMAC-SHA256, under a configured secret, over the user id, model, model
 * version and the normalised text. Per user, so one clinician cannot learn from a hit whether
 * another embedded a text, and a user's entries can be found and erased; keyed, so whoever reads
 * the cache (Redis, the table) cannot confirm a guessed text by hashing it. The text never appears
 * in the key.
 */
export function cacheKey(secret: Buffer, parts: CacheKeyParts): string {
  return createHmac('sha256', secret)
    .update(parts.userId)
    .update('\u0000')
    .update(parts.model)
    .update('\u0000')
    .update(parts.version)
    .update('\u0000')
    .update(normalizeForCache(parts.text))
    .digest('hex');
}

/**
 * Names a user's index of cache keys (in Redis) without the user id: HMAC over a label and the id, so
 * it never equals a cache key, and Redis holds no user ids.
 */
export function userIndexTag(secret: Buffer, userId: string): string {
  return createHmac('sha256', secret).update('user-index\u0000').update(userId).digest('hex');
}
