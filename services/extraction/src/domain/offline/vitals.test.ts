import { describe, expect, it } from 'vitest';
import { dictatedVitals, vitalKindOf } from './vitals.js';

describe('dictatedVitals', () => {
  it('normalises spoken vitals to digits with evidence on the spoken words', () => {
    const t = '[doctor] your blood pressure is one twenty over eighty , and your heart rate of seventy two . temperature ninety eight point six .';
    const vitals = dictatedVitals(t);
    const by = (k: string) => vitals.find((v) => v.kind === k)!;
    expect(by('blood_pressure').text).toBe('120/80');
    expect(t.slice(by('blood_pressure').span.start, by('blood_pressure').span.end)).toBe('blood pressure is one twenty over eighty');
    expect(by('heart_rate').value).toBe(72);
    expect(t.slice(by('heart_rate').span.start, by('heart_rate').span.end)).toBe('heart rate of seventy two');
    expect(by('temperature').text).toBe('98.6');
  });
  it('reads digits and skips readings that are not vitals', () => {
    expect(dictatedVitals('bp 132/84 today')[0]!.text).toBe('132/84');
    expect(dictatedVitals('your blood pressure and your heart rate all look really good')).toEqual([]);
  });
  it('maps SOP field names to vital kinds', () => {
    expect(vitalKindOf('Blood pressure blood_pressure')).toBe('blood_pressure');
    expect(vitalKindOf('Heart rate')).toBe('heart_rate');
    expect(vitalKindOf('Physical examination')).toBeUndefined();
  });
});
