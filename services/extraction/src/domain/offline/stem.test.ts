import { describe, expect, it } from 'vitest';
import { stemmer } from 'stemmer';
import { stem } from './stem.js';

describe('stem', () => {
  it('gives the Porter stem of longer words and leaves words of three letters as they are', () => {
    expect(stem('swelling')).toBe(stemmer('swelling'));
    expect(stem('swelling')).toBe('swell');
    expect(stem('was')).toBe('was');
  });

  it('gives the same stem on a second call (the cache changes no result)', () => {
    const words = ['hypertension', 'medications', 'running', 'knees'];
    const first = words.map(stem);
    expect(words.map(stem)).toEqual(first);
    expect(first).toEqual(words.map((w) => stemmer(w)));
  });
});
