// Numbers in clinical text, written as digits or spoken ("one twenty over eighty", "ninety eight point six").
// Used to check that a generated note states only numbers the encounter's own transcript contains.

const UNITS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
};
const TEENS: Record<string, number> = {
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16,
  seventeen: 17, eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
};
const SCALES: Record<string, number> = { hundred: 100, thousand: 1000, million: 1_000_000 };

type Token = { kind: 'digits'; value: number } | { kind: 'word'; word: string } | { kind: 'break' };

const NUMBER_WORDS = new Set([...Object.keys(UNITS), ...Object.keys(TEENS), ...Object.keys(TENS), ...Object.keys(SCALES)]);

function isNumberWord(w: string): boolean {
  return NUMBER_WORDS.has(w);
}

/** Splits text into digit runs, lowercase words and breaks; hyphens join spoken parts ("twenty-five"). */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  // A digit run glued to a preceding letter is a name, not a quantity ("A1c", "B12", "T2").
  const re = /([a-z]+\d[a-z\d]*)|(\d[\d,]*(?:\.\d+)?|\.\d+)|([a-z]+)|([^\sa-z\d-]+)/gi;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) tokens.push({ kind: 'break' });
    else if (m[2] !== undefined) {
      // "1,000" is one thousand, but "3,4" in a list is two numbers.
      const raw = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(m[2]) ? m[2].replace(/,/g, '') : m[2];
      for (const part of raw.split(',').filter(Boolean)) tokens.push({ kind: 'digits', value: Number(part) });
    } else if (m[3] !== undefined) tokens.push({ kind: 'word', word: m[3].toLowerCase() });
    else tokens.push({ kind: 'break' });
  }
  return tokens;
}

/** Parses tens-and-units ("twenty five", "twenty", "seven", "fifteen") at i; returns value and next index. */
function below100(words: string[], i: number): [number, number] | null {
  const w = words[i];
  if (w === undefined) return null;
  if (w in TENS) {
    const next = words[i + 1];
    if (next !== undefined && next in UNITS && next !== 'zero') return [TENS[w]! + UNITS[next]!, i + 2];
    return [TENS[w]!, i + 1];
  }
  if (w in TEENS) return [TEENS[w]!, i + 1];
  if (w in UNITS) return [UNITS[w]!, i + 1];
  return null;
}

/** Parses a two-digit tail after a colloquial head: "twenty", "oh five", "fifteen". */
function tail2(words: string[], i: number): [number, number] | null {
  const w = words[i];
  if (w === undefined) return null;
  if (w === 'oh' || w === 'o') {
    const u = words[i + 1];
    if (u !== undefined && u in UNITS) return [UNITS[u]!, i + 2];
    return null;
  }
  if (w in TENS || w in TEENS) return below100(words, i);
  return null;
}

/**
 * Parses one spoken number starting at i: standard ("a hundred and ten", "two thousand twenty"),
 * colloquial hundreds ("one twenty" = 120, "one oh five" = 105), years ("nineteen ninety", "twenty
 * twenty one") and decimals ("ninety eight point six").
 */
function parseSpoken(words: string[], start: number): [number, number] | null {
  let i = start;
  let total = 0;
  let current: number | null = null;
  if (words[i] === 'point') return withDecimal(words, i, 0)[1] > i ? withDecimal(words, i, 0) : null;
  // "a hundred", "a thousand"
  if ((words[i] === 'a' || words[i] === 'an') && words[i + 1] !== undefined && words[i + 1]! in SCALES) {
    current = 1;
    i += 1;
  } else {
    const head = below100(words, i);
    if (!head) return null;
    const [value, next] = head;
    const headWord = words[i]!;
    // Colloquial hundreds and years: a head followed directly by a two-digit tail.
    const tail = words[next] !== undefined && !(words[next]! in SCALES) ? tail2(words, next) : null;
    const headIsSimple = next === i + 1; // "twenty five twenty" is not a year
    if (tail && headIsSimple && value >= 1 && (headWord in UNITS || headWord in TEENS || headWord in TENS)) {
      current = value * 100 + tail[0];
      i = tail[1];
      return withDecimal(words, i, current);
    }
    current = value;
    i = next;
  }
  for (;;) {
    const w = words[i];
    if (w === 'hundred' && current !== null && current < 100) {
      current *= 100;
      i += 1;
      const after = words[i] === 'and' && words[i + 1] !== undefined && below100(words, i + 1) ? i + 1 : i;
      const rest = below100(words, after);
      if (rest) {
        current += rest[0];
        i = rest[1];
      }
      continue;
    }
    if ((w === 'thousand' || w === 'million') && current !== null) {
      total += current * SCALES[w]!;
      current = null;
      i += 1;
      const after = words[i] === 'and' && words[i + 1] !== undefined && below100(words, i + 1) ? i + 1 : i;
      const rest = below100(words, after);
      if (rest) {
        current = rest[0];
        i = rest[1];
        continue;
      }
      break;
    }
    break;
  }
  return withDecimal(words, i, total + (current ?? 0));
}

/** "point six", "point two five": digits after "point" are read one by one. */
function withDecimal(words: string[], i: number, value: number): [number, number] {
  if (words[i] !== 'point') return [value, i];
  let digits = '';
  let j = i + 1;
  while (words[j] !== undefined && (words[j]! in UNITS || words[j] === 'oh')) {
    digits += words[j] === 'oh' ? '0' : String(UNITS[words[j]!]);
    j += 1;
  }
  return digits ? [Number(`${value}.${digits}`), j] : [value, i];
}

// Whether the text can hold a number at all: a digit or a word that starts one. Most sentences hold none.
const MAY_HOLD_NUMBER =
  /\d|\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fourty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|point)/i;

function scan(text: string, withAlternatives: boolean): number[] {
  if (!MAY_HOLD_NUMBER.test(text)) return [];
  const tokens = tokenize(text);
  const out: number[] = [];
  let run: string[] = [];
  const flush = () => {
    let i = 0;
    while (i < run.length) {
      const parsed = parseSpoken(run, i);
      if (!parsed || parsed[1] === i) {
        i += 1;
        continue;
      }
      out.push(parsed[0]);
      if (withAlternatives) {
        // The transcript side also offers each word and tens-unit pair on its own, since speech is ambiguous
        // ("one twenty" may be 120 or 1 and 20).
        for (let k = i; k < parsed[1]; k++) {
          const alt = below100(run, k);
          if (alt) {
            out.push(alt[0]);
            if (alt[1] > k + 1) out.push(UNITS[run[k + 1]!] ?? alt[0]);
          }
        }
      }
      i = parsed[1];
    }
    run = [];
  };
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t]!;
    if (tok.kind === 'word') {
      const w = tok.word;
      const next = tokens[t + 1];
      const continues =
        isNumberWord(w) ||
        (run.length > 0 && (w === 'and' || w === 'point' || w === 'oh')) ||
        (w === 'point' && next?.kind === 'word' && next.word in UNITS) ||
        ((w === 'a' || w === 'an') && next?.kind === 'word' && next.word in SCALES);
      if (continues) {
        run.push(w);
        continue;
      }
      flush();
    } else {
      flush();
      if (tok.kind === 'digits') {
        // "1.5 million", "2 thousand"
        const next = tokens[t + 1];
        if (next?.kind === 'word' && (next.word === 'thousand' || next.word === 'million')) {
          out.push(tok.value * SCALES[next.word]!);
          if (withAlternatives) out.push(tok.value);
          t += 1;
        } else out.push(tok.value);
      }
    }
  }
  flush();
  return out;
}

/** Whether a lower-case word is a number word ("seven", "twenty", "hundred"). */
export function isSpokenNumberWord(word: string): boolean {
  return NUMBER_WORDS.has(word);
}

/**
 * The value of a run of spoken number words when it is one number as a whole ("one twenty" = 120,
 * "ninety eight point six" = 98.6, "two thousand two" = 2002); undefined otherwise ("three four").
 * The one parser of spoken numbers: the offline extractor writes them as digits with it, and the
 * numeric-support check reads them with it.
 */
export function spokenNumber(words: readonly string[]): number | undefined {
  const parsed = parseSpoken(words as string[], 0);
  return parsed && parsed[1] === words.length ? parsed[0] : undefined;
}

/** Every number in the text, written as digits or spoken, in order of appearance. */
export function extractNumbers(text: string): number[] {
  return scan(text, false);
}

export interface NumericSupport {
  supported: number;
  total: number;
  /** supported / total, or 1 when the text states no numbers. */
  rate: number;
}

/** Share of the numbers in generated text that the transcript contains, as digits or spoken. */
export function numericSupport(generated: string, transcript: string): NumericSupport {
  const known = new Set(scan(transcript, true).map(canonical));
  const numbers = extractNumbers(generated);
  const supported = numbers.filter((n) => known.has(canonical(n))).length;
  return { supported, total: numbers.length, rate: numbers.length === 0 ? 1 : supported / numbers.length };
}

function canonical(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}
