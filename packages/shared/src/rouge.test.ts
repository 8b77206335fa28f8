import { describe, expect, it } from 'vitest';
import { meanRouge, rougeScores, rougeTokens } from './rouge.js';

describe('rougeScores', () => {
  it('matches the rouge-score README example', () => {
    // target: the quick brown fox jump over the lazi dog (9); prediction: the quick brown dog jump on the log (8)
    // unigram overlap 6 -> P 6/8, R 6/9, F 12/17; bigram overlap 2 -> P 2/7, R 2/8, F 4/15; LCS 5 -> F 10/17.
    const s = rougeScores('The quick brown dog jumps on the log.', 'The quick brown fox jumps over the lazy dog');
    expect(s.rouge1).toBeCloseTo((100 * 12) / 17, 6);
    expect(s.rouge2).toBeCloseTo((100 * 4) / 15, 6);
    expect(s.rougeL).toBeCloseTo((100 * 10) / 17, 6);
  });

  it('tokenizes like rouge-score: lowercase, punctuation split, stems words longer than three characters', () => {
    expect(rougeTokens("Patient's BP: 120/80, denies chest pains.")).toEqual(['patient', 's', 'bp', '120', '80', 'deni', 'chest', 'pain']);
  });

  it('gives 100 for identical texts and 0 for disjoint or empty ones', () => {
    expect(rougeScores('Chest pain for two days.', 'chest pain for two days')).toEqual({ rouge1: 100, rouge2: 100, rougeL: 100 });
    expect(rougeScores('fever', 'cough')).toEqual({ rouge1: 0, rouge2: 0, rougeL: 0 });
    expect(rougeScores('', 'cough')).toEqual({ rouge1: 0, rouge2: 0, rougeL: 0 });
  });

  it('counts clipped n-gram overlap', () => {
    // pred "pain pain pain" vs ref "pain": overlap 1, P 1/3, R 1 -> F 0.5
    expect(rougeScores('pain pain pain', 'pain').rouge1).toBeCloseTo(50, 6);
  });

  it('averages documents', () => {
    expect(meanRouge([{ rouge1: 10, rouge2: 0, rougeL: 5 }, { rouge1: 30, rouge2: 10, rougeL: 15 }])).toEqual({ rouge1: 20, rouge2: 5, rougeL: 10 });
  });
});
