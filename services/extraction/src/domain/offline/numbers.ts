import { isSpokenNumberWord, spokenNumber } from '@clinote/shared/numeric-support.js';
import { trimEndOf } from './text-scan.js';

// Words a spoken number is made of; "point" and "oh" only inside one ("ninety eight point six", "one oh five").
const isNumberWord = (w: string): boolean => isSpokenNumberWord(w) || w === 'point' || w === 'oh';

// Units after which a lone "one" is a quantity rather than a pronoun ("one tablet", not "no one").
const QUANTITY_AFTER = /^(mg|milligrams?|grams?|mcg|units?|tablets?|pills?|times?|days?|weeks?|months?|years?|hours?|minutes?|percent|cm|centimeters?|inch(es)?|pounds?|kg|liters?|ml|episodes?|drinks?|cups?|pack|puffs?|mile|month|week|day|year)$/;

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

const ANY_NUMBER_WORD = /\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fourty|fifty|sixty|seventy|eighty|ninety)/i;
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
    if (!isNumberWord(first) || first === 'oh' || first === 'point' || first === 'hundred' || first === 'thousand' || first === 'million') {
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
      if (core === 'and' && /^(?:hundred|thousand)$/.test(run.at(-1) ?? '') && isNumberWord(trimEndOf((tokens[j + 2] ?? '').toLowerCase(), /[.,!?;:]/).split('-')[0] ?? '')) {
        j += 2;
        continue;
      }
      if (!core || !parts.every((p) => isNumberWord(p))) break;
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
    const value = run.length > 0 ? spokenNumber(run) : undefined;
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
