import { describe, expect, it } from 'vitest';
import { parseVitals } from './vitals.js';

describe('parseVitals', () => {
  it('reads blood pressure as a panel and the rest with UCUM units', () => {
    const vitals = parseVitals('Blood pressure 128 over 84, heart rate 72, temperature 98.6, oxygen saturation 97%, weight 180 pounds.');
    expect(vitals.map((v) => v.loinc)).toEqual(['85354-9', '8867-4', '8310-5', '59408-5', '29463-7']);
    expect(vitals[0]!.components!.map((c) => c.value)).toEqual([
      { value: 128, unit: 'mm[Hg]' },
      { value: 84, unit: 'mm[Hg]' },
    ]);
    expect(vitals.slice(1).map((v) => v.value)).toEqual([
      { value: 72, unit: '/min' },
      { value: 98.6, unit: '[degF]' },
      { value: 97, unit: '%' },
      { value: 180, unit: '[lb_av]' },
    ]);
  });

  it('takes Celsius from the unit or a low value, kilograms when said', () => {
    expect(parseVitals('temp 37.2 C')[0]!.value).toEqual({ value: 37.2, unit: 'Cel' });
    expect(parseVitals('temp 37.9')[0]!.value).toEqual({ value: 37.9, unit: 'Cel' });
    expect(parseVitals('weighs 82 kg')[0]!.value).toEqual({ value: 82, unit: 'kg' });
  });

  it('finds nothing in text without vitals', () => {
    expect(parseVitals('Vitals were normal.')).toEqual([]);
  });
});
