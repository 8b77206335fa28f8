import { describe, expect, it } from 'vitest';
import { routeOf } from './routing.js';

describe('routeOf', () => {
  it.each([
    ['assessment', 'assessment', 'condition'],
    ['medical_history', 'text', 'condition'],
    ['subjective', 'medications', 'medication'],
    ['medications', 'text', 'medication'],
    ['allergies', 'text', 'allergy'],
    ['objective', 'blood_pressure', 'vitals'],
    ['objective', 'heart_rate', 'vitals'],
    ['vitals', 'text', 'vitals'],
    ['plan', 'plan', undefined],
    ['family_history', 'text', undefined],
    ['assessment_and_plan', 'text', undefined],
  ])('%s/%s -> %s', (section, field, kind) => {
    expect(routeOf(section, field)).toBe(kind);
  });
});
