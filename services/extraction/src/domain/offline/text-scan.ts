// Plain scans for the shapes a backtracking regex engine takes quadratic time over: a trailing run
// (`/[.?!]+$/` restarts at every character of a long run), "a lead, a stretch, then a marker"
// (`/lead[^.]*?marker/` rescans the stretch from every lead), and "A, later on the line, B"
// (`/A.*B/`). Each helper gives the result of the regex it names in one pass.

/** `text` without its trailing run of characters matching `char` (a one-character class): `text.replace(/[char]+$/, '')`. */
export function trimEndOf(text: string, char: RegExp): string {
  let end = text.length;
  while (end > 0 && char.test(text[end - 1]!)) end--;
  return text.slice(0, end);
}

/** The trailing run of characters matching `char`, '' when there is none: `text.match(/[char]+$/)?.[0] ?? ''`. */
export function trailingRunOf(text: string, char: RegExp): string {
  return text.slice(trimEndOf(text, char).length);
}

const LINE_BREAK = /[\n\r\u2028\u2029]/;

/** Whether `first` occurs with `then` after it on the same line: `/first.*then/.test(text)`. Both must be global. */
export function followedOnLine(text: string, first: RegExp, then: RegExp): boolean {
  for (const line of text.split(LINE_BREAK)) {
    first.lastIndex = 0;
    const m = first.exec(line);
    if (!m) continue;
    then.lastIndex = m.index + m[0].length;
    if (then.test(line)) return true;
  }
  return false;
}

export interface LeadMarkerMatch {
  lead: RegExpExecArray;
  /** Where the marker starts; the stretch is text.slice(lead end, at). */
  at: number;
  marker: RegExpExecArray;
}

/**
 * The first `lead` followed, across at least `minGap` characters that all match `gap` (a
 * one-character class), by a `marker`: what `/lead(gap{minGap,}?)marker/` finds, in linear time.
 * `lead` and `marker` must be global, and markers must not overlap one another. A lead whose
 * stretch holds no marker is tried once per stretch: every later lead ending in it fails too.
 */
export function leadThenMarker(text: string, lead: RegExp, gap: RegExp, marker: RegExp, minGap = 0): LeadMarkerMatch | undefined {
  const markers = [...text.matchAll(marker)] as RegExpExecArray[];
  if (markers.length === 0) return undefined;
  let failedFrom = -1;
  let failedTo = -1;
  lead.lastIndex = 0;
  for (let l = lead.exec(text); l; l = lead.exec(text)) {
    const end = l.index + l[0].length;
    if (end < failedFrom || end > failedTo) {
      let stretchEnd = end;
      while (stretchEnd < text.length && gap.test(text[stretchEnd]!)) stretchEnd++;
      const k = firstAtOrAfter(markers, end + minGap);
      const m = markers[k];
      if (m && m.index <= stretchEnd) return { lead: l, at: m.index, marker: m };
      failedFrom = end;
      failedTo = stretchEnd;
    }
    lead.lastIndex = l.index + 1;
  }
  return undefined;
}

function firstAtOrAfter(markers: RegExpExecArray[], at: number): number {
  let lo = 0;
  let hi = markers.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (markers[mid]!.index < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The match of `/(word+)tail*$/` (`word` and `tail` one-character classes, which may share
 * characters): the last run of `word` characters after which only `tail` characters follow.
 */
export function lastRunOf(text: string, word: RegExp, tail: RegExp): { index: number; run: string } | undefined {
  let w = text.length;
  while (w > 0 && tail.test(text[w - 1]!)) w--;
  let start: number;
  if (w > 0 && word.test(text[w - 1]!)) {
    start = w - 1;
    while (start > 0 && word.test(text[start - 1]!)) start--;
  } else {
    // The run lies inside the tail: the first tail character that is also a word character.
    start = w;
    while (start < text.length && !word.test(text[start]!)) start++;
    if (start === text.length) return undefined;
  }
  let end = Math.max(start + 1, w);
  while (end < text.length && word.test(text[end]!)) end++;
  return { index: start, run: text.slice(start, end) };
}

/**
 * Where a match of a pattern ending in `.*$` that begins with whitespace can start: at the run of
 * whitespace holding the last line break, or anywhere when there is none. Matching such a pattern
 * (written with `[^]*$`) on the text from here gives what `.*$` gives on the whole text, without
 * retrying `.*` from every candidate before a line break.
 */
export function lastLineStart(text: string): number {
  let i = text.length;
  while (i > 0 && !LINE_BREAK.test(text[i - 1]!)) i--;
  if (i === 0) return 0;
  i--;
  while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  return i;
}

const LINE_BREAKS = /[\n\r\u2028\u2029]/g;

/**
 * The matches of `/^pattern/gm` for a sticky `/pattern/y`: tried once at each line start (a bounded
 * pattern under `^` with the m flag is still retried, and rescanned, at every line start of a text
 * of one-character lines), going on after each match's end.
 */
export function matchesAtLineStarts(text: string, sticky: RegExp): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let from = 0;
  for (let at = 0; at <= text.length; ) {
    if (at >= from) {
      sticky.lastIndex = at;
      const m = sticky.exec(text);
      if (m && m[0].length > 0) {
        out.push(m);
        from = at + m[0].length;
      }
    }
    LINE_BREAKS.lastIndex = at;
    const next = LINE_BREAKS.exec(text);
    if (!next) break;
    at = next.index + 1;
  }
  return out;
}
