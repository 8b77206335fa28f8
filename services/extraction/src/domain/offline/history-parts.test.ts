import { describe, expect, it } from 'vitest';
import { belongsTo, historyPartOf, medicationsWithDose } from './history-parts.js';

describe('historyPartOf', () => {
  it('names the part a section title asks for, and nothing for other titles', () => {
    expect(historyPartOf('SOCIAL HISTORY')).toBe('social_history');
    expect(historyPartOf('Past medical history')).toBe('medical_history');
    expect(historyPartOf('PAST HISTORY')).toBe('medical_history');
    expect(historyPartOf('Current medications')).toBe('medications');
    expect(historyPartOf('VITALS REVIEWED')).toBe('vitals');
    expect(historyPartOf('Family and social history')).toBe('family_and_social_history');
    expect(historyPartOf('HISTORY OF PRESENT ILLNESS')).toBeUndefined();
    expect(historyPartOf('ASSESSMENT AND PLAN')).toBeUndefined();
  });
});

describe('belongsTo', () => {
  it('tells social, family and follow-up statements apart', () => {
    expect(belongsTo('social_history', 'He smokes about a pack a day.')).toBe(true);
    expect(belongsTo('social_history', 'His knee hurts when he climbs stairs.')).toBe(false);
    expect(belongsTo('family_history', 'Her mother had breast cancer.')).toBe(true);
    expect(belongsTo('instructions', 'We will see him back in 2 weeks for a follow-up.')).toBe(true);
    expect(belongsTo('vitals', 'Blood pressure is 120/80.')).toBe(false);
  });
});

describe('medicationsWithDose', () => {
  it('lists current drugs with their dose as a note does', () => {
    expect(medicationsWithDose('He is taking lisinopril 20 mg a day and 500 mg of metformin twice daily.')).toEqual([
      'Lisinopril 20 mg daily.',
      'Metformin 500 mg twice daily.',
    ]);
  });

  it('leaves plan changes and doses without a drug name out', () => {
    expect(medicationsWithDose('We will increase his lasix to 80 mg daily.')).toEqual([]);
    expect(medicationsWithDose('She is taking 25 mg tablets, twice daily.')).toEqual([]);
  });
});
