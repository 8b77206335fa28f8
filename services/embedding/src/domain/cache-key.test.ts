import { describe, expect, it } from 'vitest';
import { cacheKey, normalizeForCache } from './cache-key.js';

const key = (text: string): string => cacheKey('model-a', '1', text);

// Each pair differs in a way that changes the clinical meaning: the two must never share an embedding.
const NEAR_MISSES: [string, string][] = [
  ['no chest pain', 'chest pain'],
  ['Patient has no chest pain.', 'Patient has chest pain.'],
  ['left knee', 'right knee'],
  ['Pain in the left knee.', 'Pain in the right knee.'],
  ['10 mg', '100 mg'],
  ['metformin 10 mg daily', 'metformin 100 mg daily'],
  ['1.5 mg', '15 mg'],
  ['denies fever', 'reports fever'],
  ['-2', '2'],
  ['potassium -2 from baseline', 'potassium 2 from baseline'],
  ['10 mg', '10 mcg'],
  ['twice daily', 'once daily'],
  ['No. Chest pain.', 'No chest pain.'],
  ['blood pressure 120/80', 'blood pressure 120/88'],
  ['you have chest pain?', 'you have chest pain.'],
  ['1,000 units', '1.000 units'],
  ['not diabetic', 'diabetic'],
  ['hypertension', 'hypotension'],
  ['[doctor] any fever? [patient] no', '[doctor] any fever? [patient] yes'],
  ['[doctor] do you smoke? [patient] no', '[patient] do you smoke? [doctor] no'],
];

// Each pair differs only in formatting: the two must share one embedding.
const TRIVIAL_VARIANTS: [string, string][] = [
  ['no chest pain', 'No   chest\n pain'],
  ['no chest pain', 'NO CHEST PAIN.'],
  ['Patient denies fever, chills.', 'patient denies fever , chills'],
  ['[doctor] hi , martha . how are you ?\n[patient] i\'m doing okay .', 'Doctor: Hi, Martha. How are you?\nPatient: I’m doing okay!'],
  ['[doctor] any pain?', 'DOCTOR : any pain ?'],
  ['metformin 10 mg', 'metformin 10mg'],
  ['Um, I have a headache.', 'I have a headache'],
  ['the "sharp" pain', 'the sharp pain'],
  ['x-ray of the left knee', 'X‐ray of the left knee'],
  ['wait... what?', 'wait. what?'],
];

describe('normalizeForCache / cacheKey', () => {
  it.each(NEAR_MISSES)('keeps clinically different texts apart: %j vs %j', (a, b) => {
    expect(normalizeForCache(a)).not.toBe(normalizeForCache(b));
    expect(key(a)).not.toBe(key(b));
  });

  it.each(TRIVIAL_VARIANTS)('merges trivial variants: %j and %j', (a, b) => {
    expect(normalizeForCache(a)).toBe(normalizeForCache(b));
    expect(key(a)).toBe(key(b));
  });

  it('is a sha256 digest that holds no patient text', () => {
    const k = key('Martha has congestive heart failure');
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(k.toLowerCase()).not.toContain('martha');
  });

  it('separates models and model versions', () => {
    const text = 'chest pain';
    expect(cacheKey('model-a', '1', text)).not.toBe(cacheKey('model-b', '1', text));
    expect(cacheKey('model-a', '1', text)).not.toBe(cacheKey('model-a', '2', text));
    // The separator keeps ("ab", "c") apart from ("a", "bc").
    expect(cacheKey('ab', 'c', text)).not.toBe(cacheKey('a', 'bc', text));
  });
});
