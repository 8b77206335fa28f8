import { describe, expect, it } from 'vitest';
import { extractNumbers, numericSupport, spokenNumber } from './numeric-support.js';

describe('extractNumbers', () => {
  it('reads digits, decimals and thousands separators', () => {
    expect(extractNumbers('BP 120/80, temp 98.6, weight 1,250 g, A1c 7.2%')).toEqual([120, 80, 98.6, 1250, 7.2]);
  });

  it('reads spoken numbers', () => {
    expect(extractNumbers('about twenty five years')).toEqual([25]);
    expect(extractNumbers('twenty-five')).toEqual([25]);
    expect(extractNumbers('a hundred and ten')).toEqual([110]);
    expect(extractNumbers('ninety eight point six')).toEqual([98.6]);
    expect(extractNumbers('it was one forty over ninety')).toEqual([140, 90]);
    expect(extractNumbers('heart rate one twenty')).toEqual([120]);
    expect(extractNumbers('one oh five')).toEqual([105]);
    expect(extractNumbers('two thousand twenty')).toEqual([2020]);
    expect(extractNumbers('back in nineteen ninety five')).toEqual([1995]);
    expect(extractNumbers('three hundred fifty milligrams')).toEqual([350]);
    expect(extractNumbers('point five milligrams')).toEqual([0.5]);
    expect(extractNumbers('a point of view')).toEqual([]);
    expect(extractNumbers('one point five')).toEqual([1.5]);
  });

  it('keeps apart numbers separated by other words and ignores the article alone', () => {
    expect(extractNumbers('two or three times a day')).toEqual([2, 3]);
    expect(extractNumbers('a cough and a fever')).toEqual([]);
    expect(extractNumbers('I was born in 1960 and seen 2 weeks ago')).toEqual([1960, 2]);
  });
});

describe('numericSupport', () => {
  const transcript = '[doctor] your blood pressure is one forty over ninety and you are fifty eight . [patient] i take twenty milligrams .';

  it('counts numbers found as digits or spoken', () => {
    expect(numericSupport('58-year-old, BP 140/90, lisinopril 20 mg', transcript)).toEqual({ supported: 4, total: 4, rate: 1 });
  });

  it('flags numbers that belong to another patient', () => {
    const s = numericSupport('62-year-old, BP 130/90', transcript);
    expect(s.supported).toBe(1);
    expect(s.total).toBe(3);
    expect(s.rate).toBeCloseTo(1 / 3, 6);
  });

  it('accepts either reading of ambiguous speech on the transcript side', () => {
    expect(numericSupport('1 to 20', 'one twenty').rate).toBe(1);
  });

  it('is 1 when the text states no numbers', () => {
    expect(numericSupport('no acute distress', transcript)).toEqual({ supported: 0, total: 0, rate: 1 });
  });
});

describe('spokenNumber', () => {
  it('reads a whole run as one number, or gives undefined', () => {
    expect(spokenNumber(['one', 'twenty'])).toBe(120);
    expect(spokenNumber(['ninety', 'eight', 'point', 'six'])).toBe(98.6);
    expect(spokenNumber(['two', 'thousand', 'two'])).toBe(2002);
    expect(spokenNumber(['nineteen', 'ninety'])).toBe(1990);
    expect(spokenNumber(['three', 'four'])).toBeUndefined();
  });
});
