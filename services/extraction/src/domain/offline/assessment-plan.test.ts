import { describe, expect, it } from 'vitest';
import { assessedProblems, patientAgreement, planItem } from './assessment-plan.js';
import { patientPronouns } from './normalise.js';
import { parseTranscript } from './transcript.js';

const t = [
  '[doctor] lastly , for your high blood pressure , how are you doing with that ?',
  '[patient] pretty good .',
  "[doctor] so , for your first problem , your congestive heart failure , i think you're retaining fluid , and i wan na go ahead and increase your lasix to 80 mg once a day .",
  "[doctor] i want you to weigh yourself every day . i want you to call me if you're gaining more weight .",
  '[doctor] and i wan na go ahead and order another echocardiogram , okay ?',
  "[doctor] lastly , for your high blood pressure , it looks like you're managing it well . so i wan na continue with the lisinopril 20 mg a day .",
  '[doctor] does that sound like a plan ?',
  '[patient] that sounds fine .',
].join('\n');
const he = patientPronouns('he is a 58 year old male');

describe('assessedProblems', () => {
  const problems = assessedProblems(parseTranscript(t).sentences, he);
  it('names each problem the clinician assesses, not one asked about in the history', () => {
    expect(problems.map((p) => p.name?.text)).toEqual(['Congestive heart failure', 'Hypertension']);
    expect(t.slice(problems[1]!.name!.span.start, problems[1]!.name!.span.end)).toBe('high blood pressure');
  });
  it('sorts what follows into reasoning, testing, treatment and counselling, in note prose', () => {
    const chf = problems[0]!.statements;
    expect(chf.find((s) => s.kind === 'reasoning')?.text).toBe('He is retaining fluid.');
    expect(chf.find((s) => s.kind === 'treatment')?.text).toBe('We will increase his lasix to 80 mg daily.');
    expect(chf.find((s) => s.kind === 'testing')?.text).toBe('We will order another echocardiogram.');
    expect(chf.filter((s) => s.kind === 'education').map((s) => s.text)).toEqual(['He should weigh himself every day.', 'He should call me if he is gaining more weight.']);
    expect(planItem('We will continue with the lisinopril 20 mg daily.')).toBe('Continue with the lisinopril 20 mg daily.');
  });
});

describe('patientAgreement', () => {
  it('is the span of the patient assenting to the plan, and nothing without assent', () => {
    const span = patientAgreement(parseTranscript(t).sentences)!;
    expect(t.slice(span.start, span.end)).toMatch(/^does that sound like a plan \?\n\[patient\] that sounds fine \.$/);
    expect(patientAgreement(parseTranscript(t.replace('that sounds fine', 'i am not sure about that')).sentences)).toBeUndefined();
  });
});
