import { describe, expect, it } from 'vitest';
import { visitInstructions } from './instructions.js';
import { patientPronouns } from './normalise.js';
import { parseTranscript } from './transcript.js';

function instructions(transcript: string, from?: number): { text: string; evidence: string[] }[] {
  const { sentences } = parseTranscript(transcript);
  return visitInstructions(sentences, patientPronouns(transcript), from).map((l) => ({ text: l.text, evidence: l.spans.map((sp) => transcript.slice(sp.start, sp.end)) }));
}

describe('visitInstructions', () => {
  it('states the follow-up time frame in digits and the call-back condition, follow-up first', () => {
    const t =
      '[doctor] mrs. lee , get a scale , weigh yourself daily . call me if you gain three pounds in two days , and continue the lasix .\n[patient] okay .\n[doctor] i want to see you back in one to two weeks .';
    expect(instructions(t)).toEqual([
      { text: 'The patient will follow up with me in 1 to 2 weeks.', evidence: ['i want to see you back in one to two weeks .'] },
      { text: 'The patient was instructed to call me if she gains 3 pounds in 2 days.', evidence: ['call me if you gain three pounds in two days , and continue the lasix .'] },
    ]);
  });

  it('knows the next visit and as-needed follow-up, and ignores what was said before `from`', () => {
    expect(instructions('[doctor] okay , i will see you at your next visit .').map((l) => l.text)).toEqual(['The patient will follow up at the next visit.']);
    expect(instructions('[doctor] follow up with me as needed .').map((l) => l.text)).toEqual(['Follow up as needed.']);
    const early = '[doctor] i saw you in two weeks ago for a checkup in two weeks .\n[patient] yes .';
    expect(instructions(early, early.indexOf('[patient]'))).toEqual([]);
  });

  it('states nothing without a time frame or a condition', () => {
    expect(instructions('[doctor] we will follow up .\n[doctor] call me .')).toEqual([]);
  });
});
