import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { numericSupport } from '@clinote/shared/numeric-support.js';

/**
 * A comparison view of a text: lowercase letters and digits, runs of anything else collapsed to one
 * space, speaker tags removed; `origin[k]` is the transcript offset of normalised character k.
 */
interface NormalisedText {
  chars: string;
  origin: number[];
}

// A tag's indent is the spaces on its own line: blank lines before it are left as they are (they are
// not letters, so the comparison view is the same) and are not rescanned from every line start.
const SPEAKER_TAG = /\[[a-z_ ]{2,30}\]|^[^\S\n\r\u2028\u2029]*(?:doctor|patient|dr|pt|clinician|speaker \d)\s*:/gim;
// ACI-Bench style tokenisation splits contractions ("do n't"); quotes usually do not.
const CONTRACTION_GAP = /(?<!\s)\s+(?=n't\b|'(?:s|m|re|ll|ve|d)\b)/gi;

function normalise(text: string): NormalisedText {
  const skip = new Uint8Array(text.length);
  for (const re of [SPEAKER_TAG, CONTRACTION_GAP]) {
    for (const m of text.matchAll(re)) skip.fill(1, m.index, m.index + m[0].length);
  }
  let chars = '';
  const origin: number[] = [];
  let pendingSpace = -1;
  for (let i = 0; i < text.length; i++) {
    if (skip[i]) continue;
    const c = text[i]!.toLowerCase();
    if (c === "'" || c === '\u2019') continue; // "don't" == "dont"
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (pendingSpace >= 0 && chars.length > 0) {
        chars += ' ';
        origin.push(pendingSpace);
      }
      pendingSpace = -1;
      chars += c;
      origin.push(i);
    } else if (pendingSpace < 0) pendingSpace = i;
  }
  return { chars, origin };
}

/** Edits allowed for a quote of n normalised characters: none for short quotes, ~15 % for long ones. */
function editBudget(n: number): number {
  if (n < 8) return 0;
  if (n < 16) return 1;
  return Math.max(2, Math.floor(n * 0.15));
}

/**
 * Best approximate occurrence of `pattern` anywhere in `text` (Sellers' semi-global edit distance),
 * returning normalised [start, end) and the distance, or null above `budget`.
 */
function approximateMatch(pattern: string, text: string, budget: number): { start: number; end: number; distance: number } | null {
  const m = pattern.length;
  const n = text.length;
  // Column-wise DP over the text keeps memory at O(m) and lets us track where each alignment started.
  let prevCost = new Int32Array(m + 1);
  let prevStart = new Int32Array(m + 1);
  let cost = new Int32Array(m + 1);
  let start = new Int32Array(m + 1);
  for (let i = 0; i <= m; i++) prevCost[i] = i;
  let best: { start: number; end: number; distance: number } | null = null;
  for (let j = 1; j <= n; j++) {
    const tc = text[j - 1];
    cost[0] = 0;
    start[0] = j;
    for (let i = 1; i <= m; i++) {
      const sub = prevCost[i - 1]! + (pattern[i - 1] === tc ? 0 : 1);
      const del = prevCost[i]! + 1; // text char skipped
      const ins = cost[i - 1]! + 1; // pattern char missing from text
      if (sub <= del && sub <= ins) {
        cost[i] = sub;
        start[i] = i === 1 ? j - 1 : prevStart[i - 1]!;
      } else if (del <= ins) {
        cost[i] = del;
        start[i] = prevStart[i]!;
      } else {
        cost[i] = ins;
        start[i] = start[i - 1]!;
      }
    }
    const d = cost[m]!;
    if (d <= budget && (!best || d < best.distance)) best = { start: start[m]!, end: j, distance: d };
    [prevCost, cost] = [cost, prevCost];
    [prevStart, start] = [start, prevStart];
  }
  return best;
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9']/.test(c);
}

/** Maps a normalised range back to transcript offsets, widened to whole words. */
function toSpan(transcript: string, norm: NormalisedText, start: number, end: number): EvidenceSpan {
  let s = norm.origin[start]!;
  let e = norm.origin[end - 1]! + 1;
  while (s > 0 && isWordChar(transcript[s - 1]) && isWordChar(transcript[s])) s--;
  while (e < transcript.length && isWordChar(transcript[e]) && isWordChar(transcript[e - 1])) e++;
  return { start: s, end: e };
}

function trimSpaces(chars: string): string {
  return chars.trim();
}

/** Aligns one contiguous quote; exact first, then approximate within the edit budget. */
function alignPart(transcript: string, norm: NormalisedText, quote: string, from: number): { span: EvidenceSpan; normEnd: number } | null {
  const q = trimSpaces(normalise(quote).chars);
  if (q.length === 0) return null;
  const exact = norm.chars.indexOf(q, from);
  if (exact >= 0) return { span: toSpan(transcript, norm, exact, exact + q.length), normEnd: exact + q.length };
  const budget = editBudget(q.length);
  if (budget === 0) return null;
  const found = approximateMatch(q, norm.chars.slice(from), budget);
  if (!found || found.end <= found.start) return null;
  let s = found.start + from;
  let e = found.end + from;
  while (s < e && norm.chars[s] === ' ') s++;
  while (e > s && norm.chars[e - 1] === ' ') e--;
  const span = toSpan(transcript, norm, s, e);
  // A near match must not change a number ("one fifty" is not "one forty").
  const numbers = numericSupport(quote, transcript.slice(span.start, span.end));
  if (numbers.supported < numbers.total) return null;
  return { span, normEnd: e };
}

/**
 * Finds a quote's character offsets in the transcript, tolerant of case, whitespace, punctuation,
 * speaker tags, split contractions and a few edits (≈15 % of the quote). Quotes elided with "..." are
 * aligned part by part, in order, and the span covers them all. Returns null when the quote cannot
 * be found with enough confidence.
 */
export function alignQuote(transcript: string, quote: string): EvidenceSpan | null {
  const norm = normalise(transcript);
  const parts = quote.split(/\.{3,}|\u2026/).map((p) => p.trim()).filter((p) => /[a-z0-9]/i.test(p));
  if (parts.length === 0) return null;
  let from = 0;
  let first: EvidenceSpan | null = null;
  let last: EvidenceSpan | null = null;
  for (const part of parts) {
    const aligned = alignPart(transcript, norm, part, from);
    if (!aligned) return null;
    first ??= aligned.span;
    last = aligned.span;
    from = aligned.normEnd;
  }
  return first && last ? { start: first.start, end: last.end } : null;
}

/** True when there is evidence and every span is a non-empty range of real text inside the transcript. */
export function isGrounded(transcript: string, spans: readonly EvidenceSpan[]): boolean {
  return (
    spans.length > 0 &&
    spans.every(
      (s) =>
        Number.isInteger(s.start) &&
        Number.isInteger(s.end) &&
        s.start >= 0 &&
        s.end <= transcript.length &&
        s.start < s.end &&
        /[A-Za-z0-9]/.test(transcript.slice(s.start, s.end)),
    )
  );
}
