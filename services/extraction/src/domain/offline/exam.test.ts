import { describe, expect, it } from 'vitest';
import { labelExamFinding } from './exam.js';

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
