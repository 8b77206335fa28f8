import { Certainty, Experiencer, Temporality } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { describe, expect, it } from 'vitest';
import { assertFinding, assertionsOf, hasNegation, isNegatedIn, NEGATION_POST, NEGATION_PRE, NEGATION_WORD } from './assertion.js';

/** Asserts the first occurrence of `finding` inside a transcript. */
function judge(transcript: string, finding: string, occurrence = 0) {
  let at = -1;
  for (let k = 0; k <= occurrence; k++) at = transcript.indexOf(finding, at + 1);
  if (at < 0) throw new Error(`test setup: ${finding} not in transcript`);
  return assertFinding(transcript, { start: at, end: at + finding.length });
}

const { CERTAINTY_AFFIRMED: AFFIRMED, CERTAINTY_NEGATED: NEGATED, CERTAINTY_POSSIBLE: POSSIBLE } = Certainty;

describe('assertFinding: certainty', () => {
  it('affirms plainly stated findings', () => {
    expect(judge('[patient] i have had chest pain for two days .', 'chest pain')).toEqual({
      certainty: AFFIRMED,
      temporality: Temporality.TEMPORALITY_CURRENT,
      experiencer: Experiencer.EXPERIENCER_PATIENT,
    });
  });

  it('negates with NegEx triggers before the finding', () => {
    expect(judge('[patient] i do n\'t have any fever .', 'fever').certainty).toBe(NEGATED);
    expect(judge("[patient] I don't have any fever.", 'fever').certainty).toBe(NEGATED);
    expect(judge('[doctor] she denies shortness of breath or palpitations .', 'palpitations').certainty).toBe(NEGATED);
    expect(judge('[doctor] no evidence of edema in the lower extremities .', 'edema').certainty).toBe(NEGATED);
    expect(judge('[patient] no , no chest pain .', 'chest pain').certainty).toBe(NEGATED);
    expect(judge('[doctor] lungs are clear without wheezes .', 'wheezes').certainty).toBe(NEGATED);
  });

  it('negates when the quote itself carries the trigger', () => {
    const t = '[patient] no chest pain at all .';
    expect(assertFinding(t, { start: t.indexOf('no chest'), end: t.indexOf(' at') }).certainty).toBe(NEGATED);
  });

  it('stops negation scope at "but" and ignores pseudo-negations', () => {
    expect(judge('[patient] no fever but i have a cough .', 'cough').certainty).toBe(AFFIRMED);
    expect(judge('[doctor] there is no change in the swelling .', 'swelling').certainty).toBe(AFFIRMED);
    expect(judge('[patient] no , i do have some chest pain .', 'chest pain').certainty).toBe(AFFIRMED);
  });

  it('applies post-triggers', () => {
    expect(judge('[doctor] pneumonia was ruled out .', 'pneumonia').certainty).toBe(NEGATED);
    expect(judge('[doctor] a fracture is unlikely .', 'fracture').certainty).toBe(POSSIBLE);
  });

  it('marks hedged findings as possible', () => {
    expect(judge('[doctor] this could be a kidney stone .', 'kidney stone').certainty).toBe(POSSIBLE);
    expect(judge("[doctor] we'll get an x-ray to rule out a fracture .", 'fracture').certainty).toBe(POSSIBLE);
    expect(judge("[patient] i 'm not sure if i had a fever .", 'fever').certainty).toBe(POSSIBLE);
  });
});

describe('assertFinding: question and answer', () => {
  it('negates a finding the doctor asks about when the patient says no', () => {
    const t = '[doctor] okay . any chest pain ?\n[patient] no .\n[doctor] okay .';
    expect(judge(t, 'chest pain').certainty).toBe(NEGATED);
    expect(judge('[doctor] have you had any fevers or chills ?\n[patient] um , nope .', 'chills').certainty).toBe(NEGATED);
    expect(judge("[doctor] any nausea ?\n[patient] i do n't think so .", 'nausea').certainty).toBe(POSSIBLE);
  });

  it('affirms it when the patient says yes', () => {
    expect(judge('[doctor] any swelling in your legs ?\n[patient] yeah , a little bit .', 'swelling').certainty).toBe(AFFIRMED);
    expect(judge('[doctor] any swelling in your legs ?\n[patient] mm-hmm .', 'swelling').certainty).toBe(AFFIRMED);
  });

  it('treats an unanswered question as possible', () => {
    expect(judge('[doctor] any swelling in your legs ?\n[patient] what do you mean ?', 'swelling').certainty).toBe(POSSIBLE);
  });

  it('keeps a negated question negated when the answer confirms it', () => {
    expect(judge("[doctor] so no fever , right ?\n[patient] right .", 'fever').certainty).toBe(NEGATED);
  });

  it('judges a bare "no" quote by the question before it', () => {
    const t = '[doctor] does anyone in your family have diabetes ?\n[patient] no .';
    const at = t.lastIndexOf('no');
    expect(assertFinding(t, { start: at, end: at + 2 })).toEqual({
      certainty: NEGATED,
      temporality: Temporality.TEMPORALITY_CURRENT,
      experiencer: Experiencer.EXPERIENCER_FAMILY,
    });
  });

  it('recognises a yes/no question cut off without a question mark', () => {
    const t = '[doctor] have you had any other symptoms , chest pain , nausea or vomiting-\n[patient] no .';
    expect(judge(t, 'nausea').certainty).toBe(NEGATED);
  });

  it('does not let the answer to a wh-question or a tag question decide', () => {
    expect(judge('[doctor] and what have you taken for the pain ?\n[patient] some tylenol .', 'pain').certainty).toBe(AFFIRMED);
    expect(judge('[doctor] where is the pain located ?\n[patient] no idea , everywhere .', 'pain').certainty).toBe(AFFIRMED);
    expect(judge('[doctor] call me if you have any shortness of breath , okay ?\n[patient] sure .', 'shortness of breath').certainty).toBe(POSSIBLE);
    expect(judge('[doctor] so you have had the rash for two weeks , right ?\n[patient] no , three .', 'rash').certainty).toBe(AFFIRMED);
  });

  it('does not treat a statement as a question', () => {
    expect(judge('[doctor] you have some swelling in your legs .\n[patient] no .', 'swelling').certainty).toBe(AFFIRMED);
  });
});

describe('assertFinding: temporality and experiencer', () => {
  it('marks history as historical', () => {
    expect(judge('[doctor] he has a history of kidney stones .', 'kidney stones').temporality).toBe(Temporality.TEMPORALITY_HISTORICAL);
    expect(judge('[patient] i had a knee replacement about ten years ago .', 'knee replacement').temporality).toBe(Temporality.TEMPORALITY_HISTORICAL);
    expect(judge('[patient] the pain started three days ago .', 'pain').temporality).toBe(Temporality.TEMPORALITY_CURRENT);
  });

  it('marks relatives as the experiencer', () => {
    expect(judge('[patient] my mother had breast cancer .', 'breast cancer').experiencer).toBe(Experiencer.EXPERIENCER_FAMILY);
    expect(judge('[doctor] family history is significant for heart disease .', 'heart disease').experiencer).toBe(Experiencer.EXPERIENCER_FAMILY);
    expect(judge('[patient] diabetes runs in my family .', 'diabetes').experiencer).toBe(Experiencer.EXPERIENCER_FAMILY);
  });

  it('does not hand the finding to a relative who only reports it', () => {
    expect(judge('[patient] my daughter noticed that i am short of breath .', 'short of breath').experiencer).toBe(Experiencer.EXPERIENCER_PATIENT);
    expect(judge('[patient] i saw my family doctor for the rash .', 'rash').experiencer).toBe(Experiencer.EXPERIENCER_PATIENT);
  });

  it('falls back to defaults for spans outside the text', () => {
    expect(assertFinding('abc', { start: 5, end: 9 }).certainty).toBe(AFFIRMED);
  });
});

describe('assertionsOf', () => {
  it('judges each span of one transcript as assertFinding does', () => {
    const transcript = '[doctor] any chest pain ?\n[patient] no .\n[doctor] my mother had diabetes , and you have a cough ?\n[patient] yes .';
    const judge = assertionsOf(transcript);
    for (const word of ['chest pain', 'diabetes', 'cough', 'no']) {
      const start = transcript.indexOf(word);
      const span = { start, end: start + word.length };
      expect(judge(span)).toEqual(assertFinding(transcript, span));
    }
    expect(judge({ start: transcript.indexOf('chest'), end: transcript.indexOf('chest') + 10 }).certainty).toBe(Certainty.CERTAINTY_NEGATED);
  });
});

describe('hasNegation and isNegatedIn (the one negation path of the offline extractor)', () => {
  it('finds a NegEx trigger, not a pseudo-trigger', () => {
    expect(hasNegation('She denies chest pain.')).toBe(true);
    expect(hasNegation("she does n't have a fever")).toBe(true);
    expect(hasNegation('No change in the swelling.')).toBe(false);
    expect(hasNegation('She reports chest pain.')).toBe(false);
  });

  it('judges the finding itself: "no fever but a cough" negates fever only', () => {
    const s = 'she has no fever but a cough';
    expect(isNegatedIn(s, s.indexOf('fever'), s.indexOf('fever') + 5)).toBe(true);
    expect(isNegatedIn(s, s.indexOf('cough'), s.indexOf('cough') + 5)).toBe(false);
  });
});

describe('NEGATION_WORD', () => {
  it('finds a word of every negation phrase, so the pre-check of hasNegation misses none', () => {
    for (const phrase of [...NEGATION_PRE, ...NEGATION_POST]) expect(NEGATION_WORD.test(phrase.join(' ')), phrase.join(' ')).toBe(true);
  });
});
