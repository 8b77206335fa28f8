import { describe, expect, it } from 'vitest';
import { patientPronouns } from './normalise.js';
import { reviewOfSystems, reviewOfSystemsLines, withComplaintSide } from './review-of-systems.js';
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

describe('reviewOfSystems on spoken answers', () => {
  it('reads split contractions, qualified yeses and unpunctuated checks', () => {
    const { sentences } = parseTranscript(
      [
        '[doctor] okay and have you had any fever or chills',
        '[patient] i have not at this point it just feels warm on that spot',
        '[doctor] do you have any chest pain ?',
        '[patient] slight cramps .',
        "[doctor] just want to make sure you're not having any shortness of breath today",
        '[patient] no',
        "[patient] i'm just so tired and fatigued and i feel bloated and my right knee pain is worse",
      ].join('\n'),
    );
    const by = Object.fromEntries(reviewOfSystems(sentences).map((f) => [f.symptom, f.present]));
    expect(by).toEqual({ fever: false, chills: false, 'chest pain': true, 'shortness of breath': false, fatigue: true, bloating: true, 'right knee pain': true });
  });

  it('uses the practice’s verb for a positive', () => {
    const { sentences } = parseTranscript('[patient] i have a cough .');
    expect(reviewOfSystemsLines(reviewOfSystems(sentences), patientPronouns('he said'), 'Endorses')[0]!.text).toBe('• Respiratory: Endorses cough.');
  });
});

describe('withComplaintSide', () => {
  it('gives a pain said without its side the side of the complaint about the same part', () => {
    const { sentences } = parseTranscript('[patient] i have this elbow pain and my knee pain .');
    const sided = withComplaintSide(reviewOfSystems(sentences), { text: 'Right elbow pain.', spans: [{ start: 0, end: 1 }] });
    expect(sided.map((f) => f.symptom)).toEqual(['right elbow pain', 'knee pain']);
    expect(sided[0]!.support).toEqual([{ start: 0, end: 1 }]);
  });
});
