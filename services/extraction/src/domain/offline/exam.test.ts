import { describe, expect, it } from 'vitest';
import { examFindings, labelExamFinding } from './exam.js';

describe('labelExamFinding', () => {
  it('labels a dictated finding with its body system', () => {
    expect(labelExamFinding('His lungs are clear to auscultation bilaterally.')).toBe('• Respiratory: His lungs are clear to auscultation bilaterally.');
    expect(labelExamFinding('There is tenderness over the medial joint line.')).toBe('• Musculoskeletal: There is tenderness over the medial joint line.');
  });
  it('leaves labelled lines and findings without a system alone', () => {
    expect(labelExamFinding('• Blood Pressure: Elevated.')).toBe('• Blood Pressure: Elevated.');
    expect(labelExamFinding('She appears well.')).toBe('She appears well.');
  });
});

describe('examFindings', () => {
  it('drops the dictation around a finding and writes murmur grades as notes do', () => {
    expect(examFindings('On his physical examination, I do appreciate some jugular venous distention.')).toEqual(['• Neck: Jugular venous distention.']);
    expect(examFindings("On his heart exam, I do appreciate a 3 out of 6 systolic ejection murmur, which we've heard in the past.")).toEqual([
      '• Cardiovascular: 3/6 systolic ejection murmur.',
    ]);
    expect(examFindings('On his back exam, he does have some pain to palpation of the lumbar spine.')).toEqual(['• Musculoskeletal: Pain to palpation of the lumbar spine.']);
  });

  it('splits clauses about different body systems into lines of their own', () => {
    expect(examFindings('On his lung exam, I do appreciate some fine crackles at the bases bilaterally, and his lower extremities have, 1+ pitting edema.')).toEqual([
      '• Respiratory: Fine crackles at the bases bilaterally.',
      '• Musculoskeletal: 1+ pitting edema in the lower extremities.',
    ]);
  });

  it('keeps labelled lines and states a denied finding as absent', () => {
    expect(examFindings('• Blood Pressure: 120/80 mmHg.')).toEqual(['• Blood Pressure: 120/80 mmHg.']);
    expect(examFindings("He does n't have any lower extremity edema.")).toEqual(['• Musculoskeletal: No lower extremity edema.']);
  });
});

describe('examFindings, what is not a finding', () => {
  it('turns a denied observation into an absent finding and drops what the clinician says while examining', () => {
    expect(examFindings("I do n't feel any tenderness over her proximal joint.")).toEqual(['• Musculoskeletal: No tenderness over her proximal joint.']);
    expect(examFindings('Lem me look at his knee here.')).toEqual([]);
    expect(examFindings('We will say she has some mild tenderness in the upper abdominal quadrants.')).toEqual(['• Gastrointestinal: Mild tenderness in the upper abdominal quadrants.']);
    expect(examFindings('I do still hear that grade 2 out of 6 systolic ejection murmur.')).toEqual(['• Cardiovascular: Grade 2/6 systolic ejection murmur.']);
  });
});
