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
    // Without a stated age the age is left out: nothing is made up.
    const noAge = '[doctor] hi , ms. thompson . what brings you in ?\n[patient] my left knee pain .';
    expect(composedOpener(parseTranscript(noAge).sentences, patientPronouns(noAge), chiefComplaint(parseTranscript(noAge).sentences))?.text).toBe(
      'Ms. Thompson is a female who presents for left knee pain.',
    );
    // With neither a name nor an age there is no opener.
    const neither = '[doctor] what brings you in ?\n[patient] my left knee pain . she said';
    expect(composedOpener(parseTranscript(neither).sentences, patientPronouns(neither), chiefComplaint(parseTranscript(neither).sentences))).toBeUndefined();
  });
  it('finds the dictated one-line summary', () => {
    const t = '[doctor] hi .\n[doctor] ralph is a 62-year-old male with a past medical history of depression who presents for his annual exam .';
    expect(dictatedOpener(parseTranscript(t).sentences)?.text).toMatch(/^ralph is a 62-year-old/);
  });
});

describe('chiefComplaint from weaker cues', () => {
  const cc = (lines: string[]) => chiefComplaint(parseTranscript(lines.join('\n')).sentences)?.text;
  it('reads referrals, injuries and what the assistant was told', () => {
    expect(cc(['[doctor] ms. cooper is a new patient who was referred by diane nelson for a long-standing iron deficiency anemia .'])).toBe('Long-standing iron deficiency anemia.');
    expect(cc(['[doctor] your pcp looks like he sent you over for a nonhealing foot ulcer'])).toBe('Nonhealing foot ulcer.');
    expect(cc(['[doctor] so i see that you injured your wrist could you tell me a bit about what happened'])).toBe('Wrist injury.');
    expect(cc(['[doctor] the medical assistant told me that you have a tick bite is that what happened'])).toBe('Tick bite.');
    expect(cc(['[doctor] this is a 52-year-old male with dia- newly diagnosed pituitary lesion .'])).toBe('Newly diagnosed pituitary lesion.');
    expect(cc(['[doctor] so it looks like here that you came in to see us today for an evaluation of that right elbow pain can you tell me'])).toBe('Right elbow pain.');
  });
  it('takes the side the patient corrects it to', () => {
    const lines = ["[doctor] i understand you've come in with some right knee pain can you tell me about it", "[patient] it it's not the right knee it's the left knee"];
    expect(cc(lines)).toBe('Left knee pain.');
  });
});
