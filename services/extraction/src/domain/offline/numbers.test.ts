import { describe, expect, it } from 'vitest';
import { extractNumbers } from '@clinote/shared/numeric-support.js';
import { digitiseNumbers } from './numbers.js';

describe('digitiseNumbers', () => {
  it.each([
    ['blood pressure is one twenty over eighty', 'blood pressure is 120/80'],
    ['twenty five milligrams daily', '25 mg daily'],
    ['temperature ninety eight point six', 'temperature 98.6'],
    ['two hundred fifty pounds', '250 pounds'],
    ['forty five percent', '45%'],
    ['no one knows', 'no one knows'],
    ['one tablet', '1 tablet'],
    ['sixty-five year old', '65 year old'],
    // Punctuation glued to the last word, as unspaced transcripts write it.
    ['i am fifty two. yes', 'i am 52. yes'],
    ['in august of two thousand eight, and', 'in august of 2008, and'],
    ['a stroke in the year two thousand and two.', 'a stroke in the year 2002.'],
    ['bread and butter', 'bread and butter'],
  ])('%s', (spoken, written) => expect(digitiseNumbers(spoken)).toBe(written));
});

describe('digitiseNumbers with the shared parser', () => {
  it('writes years and "oh" hundreds as numeric-support reads them', () => {
    expect(digitiseNumbers('since nineteen ninety')).toBe('since 1990');
    expect(digitiseNumbers('a pulse of one oh five')).toBe('a pulse of 105');
    for (const spoken of ['since nineteen ninety', 'a pulse of one oh five', 'one twenty over eighty']) {
      expect(extractNumbers(digitiseNumbers(spoken))).toEqual(extractNumbers(spoken));
    }
  });
});
