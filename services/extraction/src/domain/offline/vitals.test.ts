import { describe, expect, it } from 'vitest';
import { dictatedVitals, vitalKindOf, vitalRemarks } from './vitals.js';

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
  it('prefers the visit’s reading to one told as past, and leaves out what the patient measured', () => {
    const t = '[doctor] looks like your blood pressure was two hundred over ninety . your blood pressure is one twenty eight over seventy two today . [patient] my temperature was ninety nine point seven';
    const vitals = dictatedVitals(t, (at) => at > t.indexOf('[patient]'));
    expect(vitals.map((v) => v.text)).toEqual(['128/72']);
    expect(dictatedVitals('[doctor] your heart rate is also a little elevated at like about like eighty beats a minute')[0]!.text).toBe('80');
  });
  it('states what the clinician says of the vitals without numbers, with evidence', () => {
    const t = "[doctor] your blood pressure's a little elevated here . i reviewed your vitals everything here looks good";
    const remarks = vitalRemarks(t, []);
    expect(remarks.map((r) => r.text)).toEqual(['Blood Pressure: Elevated.', 'Other vital signs are within normal limits.']);
    expect(t.slice(remarks[0]!.span.start, remarks[0]!.span.end)).toBe("blood pressure's a little elevated");
    expect(vitalRemarks('[doctor] your vital signs look good', []).map((r) => r.text)).toEqual(['Vital signs are within normal limits.']);
    // With numbers dictated, only "other vital signs" adds a line.
    const dictated = dictatedVitals('[doctor] heart rate is seventy two and your vital signs look good');
    expect(vitalRemarks('[doctor] heart rate is seventy two and your vital signs look good', dictated)).toEqual([]);
  });
  it('maps SOP field names to vital kinds', () => {
    expect(vitalKindOf('Blood pressure blood_pressure')).toBe('blood_pressure');
    expect(vitalKindOf('Heart rate')).toBe('heart_rate');
    expect(vitalKindOf('Physical examination')).toBeUndefined();
  });
});
