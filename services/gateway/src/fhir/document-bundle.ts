// A saved extraction as a FHIR R4 document Bundle: the Composition first (LOINC 11506-3, one section
// per SOP section, its narrative and the resources it cites), then Condition, MedicationStatement,
// AllergyIntolerance and vital-sign Observations from the values, each carrying the transcript
// offsets of its evidence. Pure: the caller gives the time and the references.
import { createHash } from 'node:crypto';
import { Certainty, Experiencer, Temporality, type EvidenceSpan, type FieldValue } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { Extraction } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { routeOf, type ResourceKind } from './routing.js';
import { parseVitals, type Quantity, type VitalSign } from './vitals.js';

export type FhirResource = { resourceType: string; [key: string]: unknown };
export interface BundleEntry {
  fullUrl: string;
  resource: FhirResource;
}
export interface DocumentBundle extends FhirResource {
  resourceType: 'Bundle';
  type: 'document';
  entry: BundleEntry[];
}

/** References the caller supplies ("Patient/123"); without a patient the Bundle holds an anonymous one. */
export interface ExportReferences {
  patient?: string | undefined;
  practitioner?: string | undefined;
  encounter?: string | undefined;
}

/** Where each resource's evidence is: [start, end) character offsets into the extraction's transcript. */
export const EVIDENCE_EXTENSION = 'https://clinote.dev/fhir/StructureDefinition/transcript-evidence';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const ALLERGY_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';

export function documentBundle(extraction: Extraction, refs: ExportReferences, now: Date): DocumentBundle {
  const urlOf = (path: string) => `urn:uuid:${uuidFrom(`${extraction.id}/${path}`)}`;
  const entries: BundleEntry[] = [];
  const add = (path: string, resource: FhirResource): string => {
    const fullUrl = urlOf(path);
    entries.push({ fullUrl, resource });
    return fullUrl;
  };
  const device = add('device', {
    resourceType: 'Device',
    deviceName: [{ name: 'clinote extraction', type: 'manufacturer-name' }],
  });
  const patient = refs.patient || add('patient', { resourceType: 'Patient', active: true });
  const subject = { reference: patient };
  const effective = (extraction.createdAt ?? now).toISOString();

  const sections = extraction.results.flatMap((result, r) =>
    result.sections.map((section, s) => {
      const cited: string[] = [];
      for (const [f, value] of section.fields.entries()) {
        const kind = routeOf(section.key, value.key);
        if (!kind || !isFilled(value)) continue;
        resourcesOf(kind, value, subject, effective, refs).forEach((resource, i) => cited.push(add(`${r}/${s}/${f}/${i}`, resource)));
      }
      const lines = section.fields.filter(isFilled).map(valueText);
      return {
        title: section.title,
        text: narrative(lines.length > 0 ? lines : ['Nothing recorded.']),
        ...(cited.length > 0 ? { entry: cited.map((reference) => ({ reference })) } : {}),
      };
    }),
  );

  const composition: FhirResource = {
    resourceType: 'Composition',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${extraction.id}` },
    status: 'preliminary',
    type: { coding: [{ system: LOINC, code: '11506-3', display: 'Progress note' }], text: 'Progress note' },
    subject,
    ...(refs.encounter ? { encounter: { reference: refs.encounter } } : {}),
    date: effective,
    author: [...(refs.practitioner ? [{ reference: refs.practitioner }] : []), { reference: device }],
    title: 'Progress note',
    section: sections,
  };
  return {
    resourceType: 'Bundle',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${uuidFrom(`${extraction.id}/bundle`)}` },
    type: 'document',
    timestamp: now.toISOString(),
    entry: [{ fullUrl: urlOf('composition'), resource: composition }, ...entries],
  };
}

function resourcesOf(kind: ResourceKind, value: FieldValue, subject: { reference: string }, effective: string, refs: ExportReferences): FhirResource[] {
  const evidence = evidenceExtension(value.evidence);
  const encounter = refs.encounter ? { encounter: { reference: refs.encounter } } : {};
  const certainty = value.assertion?.certainty ?? Certainty.CERTAINTY_UNSPECIFIED;
  switch (kind) {
    case 'condition':
      // A family member's condition is not the patient's: it stays in the narrative.
      if (value.assertion?.experiencer === Experiencer.EXPERIENCER_FAMILY) return [];
      return itemsOf(value).map((text) => ({
        resourceType: 'Condition',
        ...evidence,
        ...(certainty === Certainty.CERTAINTY_NEGATED ? {} : { clinicalStatus: coded(CONDITION_CLINICAL, 'active') }),
        verificationStatus: coded(CONDITION_VERIFICATION, conditionVerification(certainty)),
        category: [coded('http://terminology.hl7.org/CodeSystem/condition-category', 'encounter-diagnosis')],
        code: { text },
        subject,
        ...encounter,
      }));
    case 'medication':
      return itemsOf(value).map((text) => ({
        resourceType: 'MedicationStatement',
        ...evidence,
        status: medicationStatus(value),
        medicationCodeableConcept: { text },
        subject,
        ...(refs.encounter ? { context: { reference: refs.encounter } } : {}),
        dateAsserted: effective,
      }));
    case 'allergy':
      return itemsOf(value).map((text) => ({
        resourceType: 'AllergyIntolerance',
        ...evidence,
        clinicalStatus: coded(ALLERGY_CLINICAL, certainty === Certainty.CERTAINTY_NEGATED ? 'inactive' : 'active'),
        verificationStatus: coded(ALLERGY_VERIFICATION, allergyVerification(certainty)),
        code: { text },
        patient: subject,
        ...encounter,
      }));
    case 'vitals':
      return vitalsOf(value).map((vital) => observation(vital, evidence, subject, effective, encounter));
  }
}

function observation(vital: VitalSign, evidence: object, subject: { reference: string }, effective: string, encounter: object): FhirResource {
  return {
    resourceType: 'Observation',
    ...evidence,
    status: 'final',
    category: [coded('http://terminology.hl7.org/CodeSystem/observation-category', 'vital-signs')],
    code: { coding: [{ system: LOINC, code: vital.loinc, display: vital.display }], text: vital.display },
    subject,
    ...encounter,
    effectiveDateTime: effective,
    ...(vital.value ? { valueQuantity: quantity(vital.value) } : {}),
    ...(vital.components
      ? { component: vital.components.map((c) => ({ code: { coding: [{ system: LOINC, code: c.loinc, display: c.display }] }, valueQuantity: quantity(c.value) })) }
      : {}),
  };
}

/** Vitals from the value's text, read after the field's name ("heart rate" + "72 bpm"). */
function vitalsOf(value: FieldValue): VitalSign[] {
  return parseVitals(`${value.key.replace(/_/g, ' ')} ${valueText(value)}`);
}

function quantity(q: Quantity) {
  return { value: q.value, unit: q.unit, system: UCUM, code: q.unit };
}

function conditionVerification(certainty: Certainty): string {
  if (certainty === Certainty.CERTAINTY_NEGATED) return 'refuted';
  if (certainty === Certainty.CERTAINTY_POSSIBLE) return 'provisional';
  if (certainty === Certainty.CERTAINTY_AFFIRMED) return 'confirmed';
  return 'unconfirmed';
}

function allergyVerification(certainty: Certainty): string {
  if (certainty === Certainty.CERTAINTY_NEGATED) return 'refuted';
  return certainty === Certainty.CERTAINTY_AFFIRMED ? 'confirmed' : 'unconfirmed';
}

function medicationStatus(value: FieldValue): string {
  if (value.assertion?.certainty === Certainty.CERTAINTY_NEGATED) return 'not-taken';
  return value.assertion?.temporality === Temporality.TEMPORALITY_HISTORICAL ? 'completed' : 'active';
}

function coded(system: string, code: string) {
  return { coding: [{ system, code }] };
}

/** One extension per evidence span: {start, end} as integers. */
function evidenceExtension(spans: EvidenceSpan[]): { extension?: object[] } {
  if (spans.length === 0) return {};
  return {
    extension: spans.map((span) => ({
      url: EVIDENCE_EXTENSION,
      extension: [
        { url: 'start', valueInteger: span.start },
        { url: 'end', valueInteger: span.end },
      ],
    })),
  };
}

function isFilled(value: FieldValue): boolean {
  return valueText(value) !== '';
}

function valueText(value: FieldValue): string {
  if (value.items.length > 0) return value.items.join('\n').trim();
  if (value.text.trim()) return value.text.trim();
  return value.number !== undefined ? `${value.number}${value.unit ? ` ${value.unit}` : ''}` : '';
}

/** A list's items, or a text's lines (a value per line). */
function itemsOf(value: FieldValue): string[] {
  const items = value.items.length > 0 ? value.items : value.text.split('\n');
  return items.map((item) => item.trim()).filter(Boolean);
}

function narrative(lines: string[]) {
  const body = lines.map((line) => `<p>${escapeXml(line)}</p>`).join('');
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>` };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A stable UUID (v4 layout) from a name: the same extraction exports the same fullUrls. */
function uuidFrom(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
