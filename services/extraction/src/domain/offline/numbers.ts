import { trimEndOf } from './text-scan.js';

const UNITS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };
const NUMBER_WORD = new RegExp(`^(?:${[...Object.keys(UNITS), ...Object.keys(TENS), 'hundred', 'thousand', 'point', 'oh'].join('|')})$`);

// Units after which a lone "one" is a quantity rather than a pronoun ("one tablet", not "no one").
const QUANTITY_AFTER = /^(mg|milligrams?|grams?|mcg|units?|tablets?|pills?|times?|days?|weeks?|months?|years?|hours?|minutes?|percent|cm|centimeters?|inch(es)?|pounds?|kg|liters?|ml|episodes?|drinks?|cups?|pack|puffs?|mile|month|week|day|year)$/;

function valueOf(words: string[]): number | undefined {
  // "one twenty" = 120, "ninety eight point six" = 98.6, "two hundred fifty" = 250, "twenty five" = 25.
  const point = words.indexOf('point');
  if (point >= 0) {
    const whole = valueOf(words.slice(0, point));
    const frac = words.slice(point + 1).map((w) => UNITS[w] ?? (w === 'oh' ? 0 : NaN));
    if (whole === undefined || frac.length === 0 || frac.some((d) => !(d >= 0 && d <= 9))) return undefined;
    return Number(`${whole}.${frac.join('')}`);
  }
  let total = 0;
  let group = 0;
  const parts: number[] = [];
  for (const w of words) {
    if (w === 'hundred') group = (group || 1) * 100;
    else if (w === 'thousand') {
      total += (group || 1) * 1000;
      group = 0;
    } else if (w in TENS) {
      if (group % 100 !== 0 || (group > 0 && group < 100)) {
        parts.push(group);
        group = 0;
      }
      group += TENS[w]!;
    } else if (w in UNITS) {
      const u = UNITS[w]!;
      if (group % 10 !== 0 || (group >= 10 && group < 20) || (group > 0 && u >= 10)) {
        parts.push(group);
        group = 0;
      }
      group += u;
    } else return undefined;
  }
  parts.push(group);
  if (parts.length === 1) return total + parts[0]!;
  // Colloquial groups: "one twenty" = 120, "one oh five" style is rare enough to skip.
  if (total === 0 && parts.length === 2 && parts[0]! < 10 && parts[1]! >= 10 && parts[1]! < 100) return parts[0]! * 100 + parts[1]!;
  return undefined;
}

/**
 * Rewrites spoken numbers as digits ("one twenty over eighty" → "120/80", "ten milligrams" → "10 mg").
 * A lone "one" stays a word unless a quantity follows, and words that do not parse stay as they are.
 */
export function digitiseNumbers(text: string): string {
  // Most sentences say no number: skip the word-by-word pass (the top self-time of an extraction).
  const spoken = ANY_NUMBER_WORD.test(text);
  if (!spoken && !UNIT_WORD.test(text)) return text;
  return withUnits(spoken ? spokenAsDigits(text) : text);
}

const ANY_NUMBER_WORD = new RegExp(`\\b(?:${[...Object.keys(UNITS), ...Object.keys(TENS)].join('|')})`, 'i');
const UNIT_WORD = /over|milligram|mgs|percent/i;

function withUnits(text: string): string {
  return text
    .replace(/\b(\d+(?:\.\d+)?) over (\d+(?:\.\d+)?)\b/g, '$1/$2')
    .replace(/\b(\d+(?:\.\d+)?) ?(?:milligrams?|mgs)\b/gi, '$1 mg')
    .replace(/\b(\d+(?:\.\d+)?) ?percent\b/gi, '$1%');
}

function spokenAsDigits(text: string): string {
  const tokens = text.split(/(\s+)/);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    const word = tokens[i]!.toLowerCase().replace(/-/g, ' ');
    const first = word.split(' ')[0] ?? '';
    if (!NUMBER_WORD.test(first) || first === 'oh' || first === 'point' || first === 'hundred' || first === 'thousand') {
      out.push(tokens[i]!);
      i++;
      continue;
    }
    const run: string[] = [];
    let j = i;
    // Punctuation glued to the number's last word ("fifty two.") ends the number and stays after it.
    let punctuation = '';
    while (j < tokens.length) {
      const token = tokens[j]!.toLowerCase();
      const core = trimEndOf(token, /[.,!?;:]/);
      const glued = token.slice(core.length);
      const parts = core.split('-');
      // "two thousand and two": "and" joins a number only after "hundred" or "thousand".
      if (core === 'and' && /^(?:hundred|thousand)$/.test(run.at(-1) ?? '') && NUMBER_WORD.test(trimEndOf((tokens[j + 2] ?? '').toLowerCase(), /[.,!?;:]/).split('-')[0] ?? '')) {
        j += 2;
        continue;
      }
      if (!core || !parts.every((p) => NUMBER_WORD.test(p))) break;
      run.push(...parts);
      j += 2;
      if (glued) {
        punctuation = glued;
        break;
      }
    }
    // Drop trailing words that are not digits of the number ("point", "oh", "hundred" are fine inside).
    while (run.length > 0 && (run.at(-1) === 'point' || run.at(-1) === 'oh')) {
      run.pop();
      j -= 2;
      punctuation = '';
    }
    const value = run.length > 0 ? valueOf(run) : undefined;
    const next = (tokens[j] ?? '').toLowerCase();
    const lone = run.length === 1 && (run[0] === 'one' || run[0] === 'zero');
    if (value === undefined || (lone && !QUANTITY_AFTER.test(next))) {
      out.push(tokens[i]!);
      i++;
      continue;
    }
    out.push(`${value}${punctuation}`);
    i = j - 1; // keep the separator after the number
  }
  return out.join('');
}
