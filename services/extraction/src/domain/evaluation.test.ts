import { Certainty, Experiencer, type FieldValue, type SopResult, Temporality } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { FieldType, type Sop, type SopField } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { describe, expect, it } from 'vitest';
import { combineEvaluations, evaluateResult, implausibleVitals, isValueGrounded, OVERALL_WEIGHTS } from './evaluation.js';
import { renderNote } from './render.js';

function field(key: string, type: FieldType, extra: Partial<SopField> = {}): SopField {
  return { key, label: key, type, required: false, instructions: '', enumValues: [], unit: '', codeSystem: '', ...extra };
}

const sop: Sop = {
  id: 'sop-eval',
  userId: 'u1',
  name: 'Eval',
  version: 1,
  active: true,
  sections: [
    { key: 'subjective', title: 'Subjective', instructions: '', fields: [field('chief_complaint', FieldType.FIELD_TYPE_TEXT, { required: true }), field('symptoms', FieldType.FIELD_TYPE_LIST)] },
    { key: 'objective', title: 'Objective', instructions: '', fields: [field('heart_rate', FieldType.FIELD_TYPE_NUMBER, { unit: 'bpm' }), field('severity', FieldType.FIELD_TYPE_ENUM, { enumValues: ['mild', 'severe'] })] },
    { key: 'plan', title: 'Plan', instructions: '', fields: [field('plan', FieldType.FIELD_TYPE_TEXT)] },
  ],
};

const transcript = '[doctor] what brings you in ?\n[patient] my knee is swollen .\n[doctor] any fever ?\n[patient] no .\n[doctor] heart rate is seventy two .';
const span = (quote: string) => {
  const start = transcript.indexOf(quote);
  if (start < 0) throw new Error('test setup: quote missing');
  return { start, end: start + quote.length };
};
const affirmed = { certainty: Certainty.CERTAINTY_AFFIRMED, temporality: Temporality.TEMPORALITY_CURRENT, experiencer: Experiencer.EXPERIENCER_PATIENT };
const negated = { ...affirmed, certainty: Certainty.CERTAINTY_NEGATED };

function value(key: string, extra: Partial<FieldValue>): FieldValue {
  return { key, text: '', items: [], number: undefined, unit: '', code: '', evidence: [], grounded: false, assertion: undefined, ...extra };
}

function result(sections: SopResult['sections']): SopResult {
  return { sopId: sop.id, sopVersion: 1, sections, renderedNote: renderNote(sop, sections) };
}

const good = result([
  {
    key: 'subjective',
    title: 'Subjective',
    fields: [
      value('chief_complaint', { text: 'Knee swelling', evidence: [span('my knee is swollen')], grounded: true, assertion: affirmed }),
      value('symptoms', { items: ['no fever'], evidence: [span('any fever')], grounded: true, assertion: negated }),
    ],
  },
  {
    key: 'objective',
    title: 'Objective',
    fields: [value('heart_rate', { text: '72 bpm', number: 72, unit: 'bpm', evidence: [span('heart rate is seventy two')], grounded: true }), value('severity', {})],
  },
  { key: 'plan', title: 'Plan', fields: [value('plan', {})] },
]);

describe('evaluateResult', () => {
  it('scores a grounded, consistent result', () => {
    const s = evaluateResult({ transcript, sop, result: good });
    expect(s.groundingRate).toBe(1);
    expect(s.completeness).toBeCloseTo((1 + 2 / 3) / 2, 10); // required filled; 2 of 3 sections
    expect(s.consistency).toBe(1);
    expect(s.numericSupport).toBe(1);
    expect(s.rouge).toBeUndefined();
    const w = OVERALL_WEIGHTS;
    expect(s.overall).toBeCloseTo(w.groundingRate + w.completeness * s.completeness + w.consistency + w.numericSupport, 10);
  });

  it('re-checks evidence instead of trusting the grounded flag', () => {
    const v = value('x', { text: 'HR 72', evidence: [{ start: 0, end: transcript.length + 5 }], grounded: true });
    expect(isValueGrounded(transcript, v)).toBe(false);
    expect(isValueGrounded(transcript, { ...v, evidence: [span('heart rate is seventy two')], grounded: false })).toBe(false);
    expect(isValueGrounded(transcript, { ...v, evidence: [span('heart rate is seventy two')] })).toBe(true);
    // the number must occur in the evidence, not just anywhere
    expect(isValueGrounded(transcript, { ...v, text: 'HR 80', evidence: [span('heart rate is seventy two')] })).toBe(false);
    // names with digits are not quantities
    expect(isValueGrounded(transcript, { ...v, text: 'HbA1c pending, HR 72', evidence: [span('heart rate is seventy two')] })).toBe(true);
  });

  it('counts ungrounded values and unsupported numbers', () => {
    const r = structuredClone(good);
    r.sections[2]!.fields[0] = value('plan', { text: 'Ibuprofen 600 mg', evidence: [], grounded: false });
    r.renderedNote = renderNote(sop, r.sections);
    const s = evaluateResult({ transcript, sop, result: r });
    expect(s.groundingRate).toBeCloseTo(3 / 4, 10);
    expect(s.numericSupport).toBeCloseTo(1 / 2, 10); // 72 yes, 600 no
  });

  it('flags contradictions, invalid enum values and implausible vitals', () => {
    const r = structuredClone(good);
    r.sections[0]!.fields[0] = value('chief_complaint', { text: 'Fever', evidence: [span('any fever')], grounded: true, assertion: affirmed });
    r.sections[1]!.fields[0] = value('heart_rate', { text: '720 bpm', number: 720, evidence: [span('heart rate is seventy two')], grounded: true });
    r.sections[1]!.fields[1] = value('severity', { text: 'catastrophic', evidence: [span('my knee is swollen')], grounded: true });
    r.renderedNote = renderNote(sop, r.sections);
    const s = evaluateResult({ transcript, sop, result: r });
    expect(s.consistency).toBe(0); // fever affirmed and negated, 720 bpm, enum outside its values
  });

  it('adds ROUGE against a reference note', () => {
    const s = evaluateResult({ transcript, sop, result: good, referenceNote: good.renderedNote });
    expect(s.rouge).toEqual({ rouge1: 100, rouge2: 100, rougeL: 100 });
  });

  it('gives an empty result an overall of zero', () => {
    const s = evaluateResult({ transcript, sop, result: result([]) });
    expect(s.overall).toBe(0);
    expect(s.completeness).toBe(0);
  });
});

describe('implausibleVitals', () => {
  it('finds impossible vital signs in free text', () => {
    expect(implausibleVitals('Blood pressure 120/80, heart rate 72, temperature 98.6, oxygen saturation 97%.')).toEqual([]);
    expect(implausibleVitals('BP 80/120')).toEqual(['blood pressure']);
    expect(implausibleVitals('heart rate of 400')).toHaveLength(1);
    expect(implausibleVitals('oxygen saturation 140')).toHaveLength(1);
  });
});

describe('combineEvaluations', () => {
  it('averages scores across SOPs and ROUGE over those that have it', () => {
    const a = { groundingRate: 1, completeness: 0.5, consistency: 1, numericSupport: 0.8, rouge: { rouge1: 40, rouge2: 20, rougeL: 30 }, overall: 0.8 };
    const b = { groundingRate: 0.5, completeness: 1, consistency: 0, numericSupport: 1, rouge: undefined, overall: 0.6 };
    const c = combineEvaluations([a, b]);
    expect(c.groundingRate).toBe(0.75);
    expect(c.completeness).toBe(0.75);
    expect(c.consistency).toBe(0.5);
    expect(c.numericSupport).toBeCloseTo(0.9, 10);
    expect(c.overall).toBeCloseTo(0.7, 10);
    expect(c.rouge).toEqual({ rouge1: 40, rouge2: 20, rougeL: 30 });
    expect(combineEvaluations([]).overall).toBe(0);
  });
});
