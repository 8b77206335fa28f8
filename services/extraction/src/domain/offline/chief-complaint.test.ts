import { describe, expect, it } from 'vitest';
import { chiefComplaint, composedOpener, dictatedOpener } from './chief-complaint.js';
import { patientPronouns } from './normalise.js';
import { parseTranscript } from './transcript.js';

describe('chiefComplaint', () => {
  it('reads the dictated reason for the visit and grounds it in the spoken words', () => {
    const t = '[doctor] so , brian is a 58 year old male with a history of hypertension , who presents today for follow-up of his chronic problems .\n[patient] hi .';
    const cc = chiefComplaint(parseTranscript(t).sentences)!;
    expect(cc.text).toBe('Follow-up of chronic problems.');
    expect(t.slice(cc.spans[0]!.start, cc.spans[0]!.end)).toBe('follow-up of his chronic problems');
  });
  it("takes the complaint from the answer to 'what brings you in', else the first assessed problem", () => {
    const t = '[doctor] hi anna . what brings you in today ?\n[patient] my right knee is hurting since i fell .';
    const cc = chiefComplaint(parseTranscript(t).sentences)!;
    expect(cc.text).toBe('Right knee pain.');
    expect(t.slice(cc.spans[0]!.start, cc.spans[0]!.end)).toBe('right knee is hurting');
    const problem = { text: 'Hypertension.', spans: [{ start: 0, end: 4 }] };
    expect(chiefComplaint(parseTranscript('[doctor] hello .\n[patient] hi .').sentences, problem)).toBe(problem);
  });
  it('does not take a finding "present" on exam for a reason', () => {
    const t = '[doctor] the x-ray shows a fracture is present with a dinner fork deformity .';
    expect(chiefComplaint(parseTranscript(t).sentences)).toBeUndefined();
  });
});

describe('openers', () => {
  it('composes "<Name> is a <age>-year-old <sex> who presents for <reason>" only from this transcript', () => {
    const t = "[doctor] hi , ms. thompson .\n[patient] hi .\n[doctor] what brings you in ?\n[patient] my left knee pain . i'm a 43 year old woman and she said so .";
    const { sentences } = parseTranscript(t);
    const opener = composedOpener(sentences, patientPronouns(t), chiefComplaint(sentences))!;
    expect(opener.text).toBe('Ms. Thompson is a 43-year-old female who presents for left knee pain.');
    for (const sp of opener.spans) expect(sp.end).toBeLessThanOrEqual(t.length);
    // Without a stated age there is no opener: nothing is made up.
    const noAge = '[doctor] hi , ms. thompson . what brings you in ?\n[patient] my left knee pain .';
    expect(composedOpener(parseTranscript(noAge).sentences, patientPronouns(noAge), chiefComplaint(parseTranscript(noAge).sentences))).toBeUndefined();
  });
  it('finds the dictated one-line summary', () => {
    const t = '[doctor] hi .\n[doctor] ralph is a 62-year-old male with a past medical history of depression who presents for his annual exam .';
    expect(dictatedOpener(parseTranscript(t).sentences)?.text).toMatch(/^ralph is a 62-year-old/);
  });
});
