import { describe, expect, it } from 'vitest';
import { studyLead } from './results.js';
import { parseTranscript } from './transcript.js';

describe('studyLead', () => {
  it('names the x-ray and its body part as said, with evidence', () => {
    const t = '[patient] my knee hurts\n[doctor] so prior to coming in we did do an x-ray of that right knee and luckily you did n\'t break anything';
    const lead = studyLead(parseTranscript(t).sentences)!;
    expect(lead.text).toBe('X-rays of the right knee were obtained and reviewed.');
    expect(t.slice(lead.spans[0]!.start, lead.spans[0]!.end)).toBe('x-ray of that right knee');
    expect(studyLead(parseTranscript('[doctor] i reviewed the result of your left knee x-ray').sentences)?.text).toBe('X-rays of the left knee were obtained and reviewed.');
  });
  it('says nothing without a named body part', () => {
    expect(studyLead(parseTranscript('[doctor] hey dragon , show me the x-rays .').sentences)).toBeUndefined();
  });
});
