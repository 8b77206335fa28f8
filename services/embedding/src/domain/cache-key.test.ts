import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { cacheKey, normalizeForCache, userIndexTag } from './cache-key.js';

const SECRET = randomBytes(32);
const USER_A = '0b6f3c1e-6d2a-4f7e-9c41-2a1d5e8b7f10';
const USER_B = '7d9e2b4a-1c3f-4e5d-8a6b-9f0e1d2c3b4a';
const key = (text: string, userId = USER_A): string => cacheKey(SECRET, { userId, model: 'model-a', version: '1', text });

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

  it('is an HMAC-SHA256 that holds no patient text and no user id', () => {
    const k = key('Martha has congestive heart failure');
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(k.toLowerCase()).not.toContain('martha');
    expect(k).not.toContain(USER_A);
  });

  it('is per user: the same text of two users has two keys', () => {
    expect(key('chest pain', USER_A)).not.toBe(key('chest pain', USER_B));
    expect(key('chest pain', USER_A)).toBe(key('Chest pain.', USER_A));
  });

  it('depends on the secret: without it a guessed text cannot be confirmed', () => {
    const parts = { userId: USER_A, model: 'model-a', version: '1', text: 'chest pain' };
    expect(cacheKey(SECRET, parts)).not.toBe(cacheKey(randomBytes(32), parts));
  });

  it('separates models and model versions', () => {
    const k = (model: string, version: string) => cacheKey(SECRET, { userId: USER_A, model, version, text: 'chest pain' });
    expect(k('model-a', '1')).not.toBe(k('model-b', '1'));
    expect(k('model-a', '1')).not.toBe(k('model-a', '2'));
    // The separator keeps ("ab", "c") apart from ("a", "bc").
    expect(k('ab', 'c')).not.toBe(k('a', 'bc'));
  });

  it('names a user index that is neither a cache key nor the user id', () => {
    const tag = userIndexTag(SECRET, USER_A);
    expect(tag).toMatch(/^[0-9a-f]{64}$/);
    expect(tag).not.toBe(userIndexTag(SECRET, USER_B));
    expect(tag).not.toContain(USER_A);
  });
});
