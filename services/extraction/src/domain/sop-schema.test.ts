import { Certainty } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { FieldType, type Sop, type SopField } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { describe, expect, it } from 'vitest';
import { compileSop, toSopResult, type ExtractedSop } from './sop-schema.js';

function field(key: string, type: FieldType, extra: Partial<SopField> = {}): SopField {
  return { key, label: key, type, required: false, instructions: `instructions for ${key}`, enumValues: [], unit: '', codeSystem: '', ...extra };
}

const sop: Sop = {
  id: 'sop-test-1',
  userId: 'u1',
  name: 'Test SOP',
  version: 3,
  active: true,
  sections: [
    {
      key: 'subjective',
      title: 'Subjective',
      instructions: 'What the patient reports.',
      fields: [
        field('chief_complaint', FieldType.FIELD_TYPE_TEXT, { required: true }),
        field('symptoms', FieldType.FIELD_TYPE_LIST),
        field('onset', FieldType.FIELD_TYPE_DATE),
      ],
    },
    {
      key: 'objective',
      title: 'Objective',
      instructions: '',
      fields: [
        field('heart_rate', FieldType.FIELD_TYPE_NUMBER, { unit: 'bpm' }),
        field('severity', FieldType.FIELD_TYPE_ENUM, { enumValues: ['mild', 'moderate', 'severe'] }),
        field('diagnosis', FieldType.FIELD_TYPE_CODED, { codeSystem: 'ICD-10-CM' }),
      ],
    },
  ],
};

/** Walks a schema and collects strict-mode violations (OpenAI structured outputs rules). */
function strictViolations(schema: unknown, path = '$'): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  const out: string[] = [];
  if (s['type'] === 'object') {
    const props = Object.keys((s['properties'] as object) ?? {});
    if (s['additionalProperties'] !== false) out.push(`${path}: additionalProperties`);
    const required = (s['required'] as string[]) ?? [];
    if (props.length !== required.length || props.some((p) => !required.includes(p))) out.push(`${path}: required`);
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties') for (const [p, sub] of Object.entries(v as object)) out.push(...strictViolations(sub, `${path}.${p}`));
    else if (k === 'items') out.push(...strictViolations(v, `${path}[]`));
  }
  return out;
}

const transcript = [
  '[doctor] what brings you in today ?',
  "[patient] i've had a bad cough since march third and some wheezing .",
  '[doctor] any fever ?',
  '[patient] no .',
  '[doctor] your heart rate is ninety two . this looks like acute bronchitis .',
].join('\n');

function answer(overrides: Partial<Record<string, unknown>> = {}): ExtractedSop {
  return {
    subjective: {
      chief_complaint: { value: 'Cough', evidence_quotes: ["I've had a bad cough"] },
      symptoms: {
        items: [
          { value: 'wheezing', evidence_quotes: ['some wheezing'] },
          { value: 'no fever', evidence_quotes: ['any fever?'] },
        ],
      },
      onset: { value: '03-03', evidence_quotes: ['since march third'] },
    },
    objective: {
      heart_rate: { value: 92, unit: null, evidence_quotes: ['your heart rate is ninety two'] },
      severity: { value: null, evidence_quotes: [] },
      diagnosis: { value: 'Acute bronchitis', code: 'J20.9', evidence_quotes: ['this looks like acute bronchitis'] },
    },
    ...overrides,
  } as ExtractedSop;
}

describe('compileSop', () => {
  it('produces a schema that follows strict-mode rules', () => {
    const compiled = compileSop(sop);
    expect(strictViolations(compiled.jsonSchema)).toEqual([]);
    expect(compiled.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(compiled.name).toBe('sop_sop-test-1_v3');
    const hr = (compiled.jsonSchema as any).properties.objective.properties.heart_rate;
    expect(hr.properties.value.type).toEqual(['number', 'null']);
    expect(hr.description).toContain('instructions for heart_rate');
    expect((compiled.jsonSchema as any).properties.objective.properties.severity.properties.value.enum).toEqual(['mild', 'moderate', 'severe', null]);
  });

  it('accepts a conforming answer and reports violations readably', () => {
    const compiled = compileSop(sop);
    expect(compiled.validate(answer()).ok).toBe(true);
    const bad = answer();
    (bad.objective!['heart_rate'] as any).value = 'ninety two';
    (bad.objective!['severity'] as any).value = 'terrible';
    (bad.subjective as any).extra = 1;
    const result = compiled.validate(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toContain('/objective/severity/value: must be one of the allowed values');
      expect(result.errors.some((e) => e.startsWith('/objective/heart_rate/value'))).toBe(true);
      expect(result.errors).toContain('/subjective: unexpected property extra');
    }
    expect(compiled.validate({}).ok).toBe(false);
  });

  it('caches per SOP id and version', () => {
    expect(compileSop(sop)).toBe(compileSop({ ...sop }));
    expect(compileSop({ ...sop, version: 4 })).not.toBe(compileSop(sop));
  });
});

describe('toSopResult', () => {
  it('aligns quotes, grounds values and renders the note', () => {
    const result = toSopResult(sop, transcript, answer());
    expect(result.sopId).toBe('sop-test-1');
    expect(result.sopVersion).toBe(3);
    const [subjective, objective] = result.sections;
    const cc = subjective!.fields[0]!;
    expect(cc.grounded).toBe(true);
    expect(transcript.slice(cc.evidence[0]!.start, cc.evidence[0]!.end)).toBe("i've had a bad cough");
    expect(cc.assertion?.certainty).toBe(Certainty.CERTAINTY_AFFIRMED);
    const symptoms = subjective!.fields[1]!;
    expect(symptoms.items).toEqual(['wheezing', 'no fever']);
    expect(symptoms.grounded).toBe(true);
    const hr = objective!.fields[0]!;
    expect(hr.number).toBe(92);
    expect(hr.unit).toBe('bpm');
    expect(hr.assertion).toBeUndefined();
    expect(objective!.fields[1]!.grounded).toBe(false); // empty: nothing to ground
    expect(objective!.fields[2]!.code).toBe('J20.9');
    expect(result.renderedNote).toContain('SUBJECTIVE');
    expect(result.renderedNote).toContain('92 bpm');
  });

  it('flags values whose quotes are missing or not in the transcript', () => {
    const parsed = answer();
    parsed.subjective!['chief_complaint'] = { value: 'Chest pain', evidence_quotes: ['my chest has been hurting for weeks'] };
    parsed.objective!['diagnosis'] = { value: 'Acute bronchitis', code: null, evidence_quotes: [] };
    (parsed.subjective!['symptoms'] as any).items.push({ value: 'headache', evidence_quotes: [] });
    const result = toSopResult(sop, transcript, parsed);
    expect(result.sections[0]!.fields[0]!.grounded).toBe(false);
    expect(result.sections[0]!.fields[0]!.evidence).toEqual([]);
    expect(result.sections[0]!.fields[1]!.grounded).toBe(false);
    expect(result.sections[1]!.fields[2]!.grounded).toBe(false);
  });

  it('negates a finding the patient denied in a question-answer exchange', () => {
    const parsed = answer();
    parsed.subjective!['chief_complaint'] = { value: 'Fever', evidence_quotes: ['any fever?'] };
    const cc = toSopResult(sop, transcript, parsed).sections[0]!.fields[0]!;
    expect(cc.grounded).toBe(true);
    expect(cc.assertion?.certainty).toBe(Certainty.CERTAINTY_NEGATED);
  });
});
