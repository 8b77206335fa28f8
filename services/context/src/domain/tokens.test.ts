import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import { countTokens, MAX_TOKENIZER_SEGMENT, tokenizerSegments } from './tokens.js';

const PLAIN = { disallowedSpecial: new Set<string>() };
const DIALOGUE = [
  'Doctor: What brings you in today?',
  "Patient: I've had a dry cough for 3 days — and it's worse at night.",
  'Doctor: BP 128/82, HR 88, temp 37.9 °C.\n\n  Lungs clear.',
  'Patient: I\'m allergic to penicillin.\tI take lisinopril 10 mg daily.',
  'Doctor: Ibuprofen 400mg b.i.d.; follow-up in 1 week <|endoftext|>.',
];

describe('countTokens', () => {
  it('counts ordinary text of any length exactly as the tokenizer does, in both encodings', () => {
    const text = Array.from({ length: 400 }, (_, i) => `${DIALOGUE[i % DIALOGUE.length]}${i % 3 ? '\n' : ' '}`).join('');
    expect(text.length).toBeGreaterThan(10 * MAX_TOKENIZER_SEGMENT);
    expect(countTokens('gpt-4o', text)).toBe(o200k(text, PLAIN));
    expect(countTokens('gpt-4', text)).toBe(cl100k(text, PLAIN));
  });

  it('counts a transcript-long run without spaces in milliseconds, not minutes', () => {
    for (const unit of ['%', 'a', ' ', '😀']) {
      const run = unit.repeat(200_000 / unit.length);
      const started = performance.now();
      const tokens = countTokens('gpt-4o', run);
      expect(performance.now() - started).toBeLessThan(1_000);
      // Within one token per cut of the exact count (of a shorter run, which is still fast enough to take).
      expect(tokens).toBeGreaterThan(0);
    }
    const short = '%'.repeat(5_000);
    expect(Math.abs(countTokens('gpt-4o', short) - o200k(short, PLAIN))).toBeLessThanOrEqual(5);
  });

  it('cuts segments before a space between words, else at the bound, never inside a surrogate pair', () => {
    const words = 'word '.repeat(1_000);
    for (const s of tokenizerSegments(words).slice(1)) expect(s.startsWith(' ')).toBe(true);
    expect(tokenizerSegments(words).join('')).toBe(words);
    const emoji = 'a' + '😀'.repeat(1_000);
    const segments = tokenizerSegments(emoji);
    expect(segments.join('')).toBe(emoji);
    for (const s of segments) {
      expect(s.length).toBeLessThanOrEqual(MAX_TOKENIZER_SEGMENT);
      expect(s).not.toMatch(/[\ud800-\udbff]$|^[\udc00-\udfff]/);
    }
  });
});
