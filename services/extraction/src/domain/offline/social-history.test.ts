import { describe, expect, it } from 'vitest';
import { patientPronouns } from './normalise.js';
import { socialHistory } from './social-history.js';
import { parseTranscript } from './transcript.js';

function social(transcript: string, planFrom?: number): { text: string; evidence: string[] }[] {
  const { sentences } = parseTranscript(transcript);
  return socialHistory(sentences, patientPronouns(transcript), planFrom).map((l) => ({ text: l.text, evidence: l.spans.map((sp) => transcript.slice(sp.start, sp.end)) }));
}

describe('socialHistory', () => {
  it('writes substance answers as the note does, with the question and answer as evidence', () => {
    const t = '[doctor] mr. ward , do you ever drink alcohol ?\n[patient] yeah , but only once or twice a year .\n[doctor] do you smoke or use recreational drugs ?\n[patient] no .';
    expect(social(t)).toEqual([
      { text: 'Drinks alcohol only once or twice a year.', evidence: ['mr. ward , do you ever drink alcohol ?\n[patient] yeah , but only once or twice a year .'] },
      { text: 'Denies tobacco use or recreational drug use.', evidence: ['do you smoke or use recreational drugs ?\n[patient] no .'] },
    ]);
  });

  it('keeps the clause about work or pastimes, in the third person', () => {
    const t = '[doctor] what do you do for work , mr. ward ?\n[patient] i work as a computer programmer and i have been married for 25 years .\n[doctor] i know you said that you like to go hiking .';
    expect(social(t).map((l) => l.text)).toEqual([
      'Patient reports he works as a computer programmer and he has been married for 25 years.',
      'Patient reports he likes to go hiking.',
    ]);
  });

  it('leaves out symptoms, the plan and anything said after the plan starts', () => {
    const t = '[patient] my knee hurts when i play basketball .\n[doctor] we will get you to physical therapy so you can play golf .\n[patient] i work as a teacher .';
    expect(social(t, t.indexOf('[patient] i work'))).toEqual([]);
  });
});
