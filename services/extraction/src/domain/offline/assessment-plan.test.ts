import { describe, expect, it } from 'vitest';
import { assessedProblems, labelledPlanLine, patientAgreement, planItem } from './assessment-plan.js';
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

describe('plan lines in note style', () => {
  it('writes actions as orders with drug names capitalised, and keeps reasoning and counselling sentences', () => {
    expect(labelledPlanLine('treatment', 'We will increase his lasix to 80 mg daily.')).toBe('Increase Lasix to 80 mg daily.');
    expect(labelledPlanLine('treatment', 'We will continue with the lisinopril 20 mg daily.')).toBe('Continue Lisinopril 20 mg daily.');
    expect(labelledPlanLine('treatment', 'Continue the patient on the metformin 1000 mg twice daily.')).toBe('Continue Metformin 1000 mg twice daily.');
    expect(labelledPlanLine('testing', 'We will order another echocardiogram.')).toBe('Order another echocardiogram.');
    expect(labelledPlanLine('education', 'He should take ibuprofen with food.')).toBe('He should take Ibuprofen with food.');
    expect(labelledPlanLine('reasoning', 'We will start antibiotics if it spreads.')).toBe('We will start antibiotics if it spreads.');
  });

  it('drops dictation that states nothing ("We will go ahead.")', () => {
    const visit = "[doctor] for your first problem , your back pain , i think you have a lumbar strain . we'll just go ahead . see how he does . i'm gon na prescribe you meloxicam 15 mg a day .";
    const [problem] = assessedProblems(parseTranscript(visit).sentences, he);
    expect(problem!.statements.map((st) => st.text)).toEqual(['You have a lumbar strain.'.replace('You have', 'He has'), 'We will prescribe him meloxicam 15 mg daily.']);
  });

  it('reads numbered and restated problem cues', () => {
    const visit = [
      '[doctor] so for your assessment and plan so for the first diagnosis the first problem of the lung cancer we will continue the chemotherapy .',
      "[doctor] okay for problem number two so the radiation pneumonitis so that's what is causing that cough .",
    ].join('\n');
    const problems = assessedProblems(parseTranscript(visit).sentences, he);
    expect(problems.map((p) => p.name?.text)).toEqual(['Lung cancer', 'Radiation pneumonitis']);
    for (const p of problems) expect(visit.slice(p.name!.span.start, p.name!.span.end)).toBe(p.name!.text.toLowerCase());
  });
});
