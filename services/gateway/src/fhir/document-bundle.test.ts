import { beforeAll, describe, expect, it } from 'vitest';
import { loadR4Definitions, validationErrors, type ValidatableResource } from '../../../../test/support/fhir-validator.js';
import { Certainty, Experiencer, Temporality, type FieldValue } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { Extraction } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { documentBundle, EVIDENCE_EXTENSION, type FhirResource } from './document-bundle.js';

type Resource = ValidatableResource;

function value(key: string, text: string, certainty = Certainty.CERTAINTY_AFFIRMED, extra: Partial<FieldValue> = {}): FieldValue {
  return {
    key,
    text,
    items: [],
    number: undefined,
    unit: '',
    code: '',
    evidence: [{ start: 0, end: 10 }],
    grounded: true,
    assertion: { certainty, temporality: Temporality.TEMPORALITY_CURRENT, experiencer: Experiencer.EXPERIENCER_PATIENT },
    ...extra,
  };
}

const extraction: Extraction = {
  id: '6f1c2b8e-3d4a-4b5c-9d6e-7f8091a2b3c4',
  userId: '0b9c8d7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e',
  results: [
    {
      sopId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      sopVersion: 1,
      renderedNote: '',
      sections: [
        { key: 'subjective', title: 'Subjective', fields: [value('allergies', '', Certainty.CERTAINTY_NEGATED, { items: ['penicillin'] }), value('medications', '', Certainty.CERTAINTY_AFFIRMED, { items: ['lisinopril 10 mg daily', 'metformin 500 mg'] })] },
        { key: 'objective', title: 'Objective', fields: [value('blood_pressure', '128/84'), value('heart_rate', '', Certainty.CERTAINTY_UNSPECIFIED, { number: 72, unit: 'bpm' })] },
        { key: 'assessment', title: 'Assessment', fields: [value('assessment', 'possible pneumonia', Certainty.CERTAINTY_POSSIBLE), value('assessment', 'pulmonary embolism', Certainty.CERTAINTY_NEGATED)] },
        { key: 'plan', title: 'Plan <& follow-up>', fields: [value('plan', '', Certainty.CERTAINTY_UNSPECIFIED, { items: ['chest x-ray'] })] },
      ],
    },
  ],
  evaluations: [],
  overall: undefined,
  context: [],
  contextStopReason: 0,
  phaseTimings: [],
  traceId: '',
  usage: [],
  createdAt: new Date('2026-12-01T10:00:00Z'),
  transcriptChars: 100,
};

beforeAll(() => {
  loadR4Definitions();
});

describe('documentBundle', () => {
  const bundle = documentBundle(extraction, { patient: 'Patient/p1', practitioner: 'Practitioner/dr', encounter: 'Encounter/e1' }, new Date('2026-12-01T11:00:00Z'));
  const resources = bundle.entry.map((e) => e.resource);
  const ofType = (type: string) => resources.filter((r) => r.resourceType === type) as FhirResource[];

  it('is a valid document: Composition first, identifier, timestamp, every entry a fullUrl', () => {
    expect(resources[0]!.resourceType).toBe('Composition');
    expect(bundle.identifier).toBeDefined();
    expect(bundle.timestamp).toBe('2026-12-01T11:00:00.000Z');
    for (const entry of bundle.entry) expect(entry.fullUrl).toMatch(/^urn:uuid:/);
    for (const resource of [bundle, ...resources]) {
      expect(validationErrors(resource as unknown as Resource)).toEqual([]);
    }
  });

  it('maps the values by their assertions, vitals with LOINC and UCUM, evidence as an extension', () => {
    expect(ofType('AllergyIntolerance').map((a) => (a.verificationStatus as { coding: Array<{ code: string }> }).coding[0]!.code)).toEqual(['refuted']);
    expect(ofType('MedicationStatement')).toHaveLength(2);
    expect(ofType('Condition').map((c) => (c.verificationStatus as { coding: Array<{ code: string }> }).coding[0]!.code)).toEqual(['provisional', 'refuted']);
    const observations = ofType('Observation');
    expect(observations.map((o) => (o.code as { coding: Array<{ code: string }> }).coding[0]!.code)).toEqual(['85354-9', '8867-4']);
    expect(observations[1]!.valueQuantity).toEqual({ value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' });
    for (const r of resources.slice(1)) {
      if (r.resourceType === 'Device') continue;
      expect(r.extension).toEqual([{ url: EVIDENCE_EXTENSION, extension: [{ url: 'start', valueInteger: 0 }, { url: 'end', valueInteger: 10 }] }]);
    }
    const composition = resources[0] as unknown as { section: Array<{ title: string; text: { div: string }; entry?: unknown[] }>; author: unknown[] };
    expect(composition.section.map((s) => s.entry?.length ?? 0)).toEqual([3, 2, 2, 0]);
    expect(composition.section[3]!.text.div).toContain('chest x-ray');
    expect(composition.author).toHaveLength(2);
  });

  it('holds an anonymous Patient when the caller names none, and the same fullUrls on every export', () => {
    const anonymous = documentBundle(extraction, {}, new Date());
    const patient = anonymous.entry.find((e) => e.resource.resourceType === 'Patient')!;
    expect((anonymous.entry[0]!.resource as unknown as { subject: { reference: string } }).subject.reference).toBe(patient.fullUrl);
    expect(documentBundle(extraction, {}, new Date()).entry.map((e) => e.fullUrl)).toEqual(anonymous.entry.map((e) => e.fullUrl));
  });
});
