import { describe, expect, it } from 'vitest';
import { exampleLayout, headerFor } from './example-layout.js';

const note = [
  'CHIEF COMPLAINT', '', 'Knee pain.', '',
  'PAST MEDICAL HISTORY', '', 'Patient reports a history of hypertension.', '',
  'SOCIAL HISTORY', '', 'Non-smoker.', '',
  'REVIEW OF SYSTEMS', '', '• Musculoskeletal: Endorses knee pain.', '',
  'ASSESSMENT AND PLAN', '', 'Knee sprain.', '• Medical Reasoning: A sprain.',
].join('\n');

describe('exampleLayout', () => {
  it('reads headers, history parts, prose parts, the review verb and plan labels in one pass', () => {
    const layout = exampleLayout([{ encounterId: 'e1', transcript: '', note }]);
    expect(layout.headers).toEqual(['CHIEF COMPLAINT', 'PAST MEDICAL HISTORY', 'SOCIAL HISTORY', 'REVIEW OF SYSTEMS', 'ASSESSMENT AND PLAN']);
    expect([...layout.parts!].sort()).toEqual(['medical_history', 'social_history']);
    expect(layout.proseParts.has('medical_history')).toBe(true);
    expect(layout.endorseVerb).toBe('Endorses');
    expect(layout.planLabels).toBe(true);
  });

  it('keeps no parts without examples, so every part asked for is filled', () => {
    const layout = exampleLayout([]);
    expect(layout.parts).toBeUndefined();
    expect(layout.endorseVerb).toBe('Reports');
    expect(layout.planLabels).toBe(false);
  });
});

describe('headerFor', () => {
  it("takes the examples' own title for the same section, and none when the SOP's is already theirs", () => {
    expect(headerFor('MEDICAL HISTORY', ['PAST MEDICAL HISTORY'])).toBe('PAST MEDICAL HISTORY');
    expect(headerFor('PHYSICAL EXAMINATION', ['PHYSICAL EXAM'])).toBe('PHYSICAL EXAM');
    expect(headerFor('MEDICAL HISTORY', ['MEDICAL HISTORY', 'PAST MEDICAL HISTORY'])).toBeUndefined();
  });
});
