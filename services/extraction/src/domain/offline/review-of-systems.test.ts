import { describe, expect, it } from 'vitest';
import { patientPronouns } from './normalise.js';
import { reviewOfSystems, reviewOfSystemsLines } from './review-of-systems.js';
import { parseTranscript } from './transcript.js';

const transcript = [
  '[doctor] any fever or chills ?',
  '[patient] no .',
  '[doctor] any chest pain',
  '[patient] yeah a little bit',
  "[patient] i have n't had any nausea but i get headaches in the morning",
].join('\n');

describe('reviewOfSystems', () => {
  const { sentences } = parseTranscript(transcript);
  const findings = reviewOfSystems(sentences);

  it('reads answered questions and the patient’s own statements, with evidence', () => {
    const by = Object.fromEntries(findings.map((f) => [f.symptom, f.present]));
    expect(by).toEqual({ fever: false, chills: false, 'chest pain': true, nausea: false, headaches: true });
    for (const f of findings) expect(transcript.slice(f.span.start, f.span.end)).toMatch(new RegExp(f.symptom));
  });

  it('writes one line per body system', () => {
    const lines = reviewOfSystemsLines(findings, patientPronouns('she said')).map((l) => l.text);
    expect(lines).toEqual([
      '• Constitutional: Denies fever and chills.',
      '• Cardiovascular: Reports chest pain.',
      '• Gastrointestinal: Denies nausea.',
      '• Neurological: Reports headaches.',
    ]);
  });
});
