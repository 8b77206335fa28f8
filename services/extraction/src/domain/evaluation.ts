// evaluation_phase: scores one SOP result against its own transcript (and a reference note when given).
import {
  Certainty,
  type EvaluationScores,
  Experiencer,
  type FieldValue,
  type SopResult,
  Temporality,
} from '@clinote/shared/gen/clinote/common/v1/common.js';
import { FieldType, type Sop, type SopField } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { numericSupport } from '@clinote/shared/numeric-support.js';
import { rougeScores } from '@clinote/shared/rouge.js';
import { isGrounded } from './grounding.js';

/**
 * Weights of the overall score. Grounding and numeric support weigh most because a fluent note about
 * the wrong facts is the failure that hurts patients; ROUGE is reported but not mixed in, so overall
 * stays comparable between encounters with and without a reference note.
 */
export const OVERALL_WEIGHTS = { groundingRate: 0.35, completeness: 0.25, consistency: 0.15, numericSupport: 0.25 } as const;

export interface EvaluationInput {
  transcript: string;
  sop: Sop;
  result: SopResult;
  referenceNote?: string | undefined;
}

interface Value {
  field: SopField | undefined;
  value: FieldValue;
  text: string;
}

function valueText(v: FieldValue): string {
  if (v.text.trim()) return v.text.trim();
  if (v.items.length > 0) return v.items.join('\n').trim();
  if (v.number !== undefined) return String(v.number);
  return '';
}

function filledValues(sop: Sop, result: SopResult): Value[] {
  const fields = new Map(sop.sections.flatMap((s) => s.fields.map((f) => [`${s.key}/${f.key}`, f] as const)));
  return result.sections.flatMap((s) =>
    s.fields.map((value) => ({ field: fields.get(`${s.key}/${value.key}`), value, text: valueText(value) })).filter((v) => v.text),
  );
}

/**
 * Grounded means: the extractor says so, every span is a real range of the transcript (re-checked
 * here), and every number written as digits in the value occurs in the evidence text.
 */
export function isValueGrounded(transcript: string, value: FieldValue): boolean {
  if (!value.grounded || !isGrounded(transcript, value.evidence)) return false;
  // Digits glued to letters are names ("A1c", "B12"), not quantities.
  const digits = valueText(value).match(/(?<![a-z\d.])\d[\d,]*(?:\.\d+)?/gi);
  if (!digits) return true;
  const evidenceText = value.evidence.map((s) => transcript.slice(s.start, s.end)).join(' \n ');
  const support = numericSupport(digits.join(' '), evidenceText);
  return support.supported === support.total;
}

interface Range {
  pattern: RegExp;
  min: number;
  max: number;
}

// Plausible adult and paediatric ranges; a value outside them is a transcription or extraction error.
const VITAL_RANGES: Range[] = [
  { pattern: /\b(?:heart rate|pulse|hr)\b/i, min: 20, max: 250 },
  { pattern: /\b(?:respiratory rate|respirations|rr)\b/i, min: 4, max: 70 },
  { pattern: /\b(?:o2 sat\w*|oxygen saturation|spo2|sats?|pulse ox\w*)\b/i, min: 50, max: 100 },
  { pattern: /\b(?:temperature|temp)\b/i, min: 30, max: 110 },
  { pattern: /\bbmi\b/i, min: 10, max: 90 },
  { pattern: /\b(?:weight|weighs)\b/i, min: 0.5, max: 900 },
  { pattern: /\baged?\b/i, min: 0, max: 120 },
];

/** Vital signs stated in free text ("heart rate of 300", "BP 80/120") outside plausible ranges. */
export function implausibleVitals(text: string): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(/\b(?:blood pressure|bp)\b[^0-9\n]{0,20}(\d{2,3})\s*(?:\/|over)\s*(\d{2,3})/gi)) {
    const systolic = Number(m[1]);
    const diastolic = Number(m[2]);
    if (systolic <= diastolic || systolic < 50 || systolic > 280 || diastolic < 20 || diastolic > 180) problems.push('blood pressure');
  }
  for (const range of VITAL_RANGES) {
    const re = new RegExp(`${range.pattern.source}[^0-9\\n.;]{0,20}(\\d+(?:\\.\\d+)?)`, 'gi');
    for (const m of text.matchAll(re)) {
      const n = Number(m[1]);
      if (n < range.min || n > range.max) problems.push(range.pattern.source);
    }
  }
  return problems;
}

function numberFieldPlausible(field: SopField, n: number): boolean {
  if (!Number.isFinite(n)) return false;
  const label = `${field.key} ${field.label} ${field.unit}`.replace(/_/g, ' ');
  if (/mmhg/i.test(field.unit) || /systolic|diastolic/i.test(label)) return n >= 20 && n <= 280;
  if (/°?c\b|celsius/i.test(field.unit)) return n >= 30 && n <= 45;
  if (/°?f\b|fahrenheit/i.test(field.unit)) return n >= 86 && n <= 110;
  const range = VITAL_RANGES.find((r) => r.pattern.test(label));
  return range ? n >= range.min && n <= range.max : true;
}

const NEGATION_WORDS = new Set(['no', 'not', 'denies', 'denied', 'deny', 'without', 'negative', 'for', 'any', 'of', 'the', 'a', 'an', 'reports', 'reported', 'has', 'have', 'had', 'patient', 'pt', 'endorses', 'positive', 'some']);

/** A finding's identity regardless of how its negation was phrased ("no fever" ~ "fever"). */
function findingKey(text: string): string {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w && !NEGATION_WORDS.has(w))
    .map((w) => w.replace(/(?:es|s)$/, ''))
    .sort()
    .join(' ');
}

function isValidIsoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return true; // dates as spoken ("last March") are allowed
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(text);
}

/** Per-value consistency: valid enum, plausible numbers and vitals, no finding both affirmed and negated. */
function inconsistentValues(values: Value[]): Set<Value> {
  const bad = new Set<Value>();
  for (const v of values) {
    const f = v.field;
    if (f?.type === FieldType.FIELD_TYPE_ENUM && f.enumValues.length > 0 && !f.enumValues.some((e) => e.toLowerCase() === v.text.toLowerCase())) bad.add(v);
    if (f?.type === FieldType.FIELD_TYPE_NUMBER && v.value.number !== undefined && !numberFieldPlausible(f, v.value.number)) bad.add(v);
    if (f?.type === FieldType.FIELD_TYPE_DATE && !isValidIsoDate(v.text)) bad.add(v);
    if (implausibleVitals(v.text).length > 0) bad.add(v);
  }
  // Contradictions only count for the patient's current findings.
  const byFinding = new Map<string, Value[]>();
  for (const v of values) {
    const a = v.value.assertion;
    if (!a || a.experiencer === Experiencer.EXPERIENCER_FAMILY || a.temporality === Temporality.TEMPORALITY_HISTORICAL) continue;
    if (a.certainty !== Certainty.CERTAINTY_AFFIRMED && a.certainty !== Certainty.CERTAINTY_NEGATED) continue;
    const key = findingKey(v.text);
    if (!key) continue;
    byFinding.set(key, [...(byFinding.get(key) ?? []), v]);
  }
  for (const group of byFinding.values()) {
    const certainties = new Set(group.map((v) => v.value.assertion!.certainty));
    if (certainties.size > 1) for (const v of group) bad.add(v);
  }
  return bad;
}

function completenessOf(sop: Sop, result: SopResult): number {
  const byKey = new Map(result.sections.map((s) => [s.key, s]));
  const filled = (sectionKey: string, fieldKey: string) =>
    byKey.get(sectionKey)?.fields.some((f) => f.key === fieldKey && valueText(f) !== '') ?? false;
  const required = sop.sections.flatMap((s) => s.fields.filter((f) => f.required).map((f) => filled(s.key, f.key)));
  const sections = sop.sections.map((s) => s.fields.some((f) => filled(s.key, f.key)));
  const share = (xs: boolean[]) => (xs.length === 0 ? 1 : xs.filter(Boolean).length / xs.length);
  return required.length > 0 ? (share(required) + share(sections)) / 2 : share(sections);
}

export function overallScore(s: Pick<EvaluationScores, 'groundingRate' | 'completeness' | 'consistency' | 'numericSupport'>): number {
  const w = OVERALL_WEIGHTS;
  const total = w.groundingRate * s.groundingRate + w.completeness * s.completeness + w.consistency * s.consistency + w.numericSupport * s.numericSupport;
  return Math.min(1, Math.max(0, total));
}

/**
 * Scores one result. groundingRate: share of filled values grounded (re-checked against the text);
 * completeness: required fields filled and share of sections with content; consistency: share of
 * values without contradictions; numericSupport: share of the rendered note's numbers found in the
 * transcript; rouge when a reference note is given. An empty result scores overall 0.
 */
export function evaluateResult({ transcript, sop, result, referenceNote }: EvaluationInput): EvaluationScores {
  const values = filledValues(sop, result);
  const rouge = referenceNote?.trim() ? rougeScores(result.renderedNote, referenceNote) : undefined;
  if (values.length === 0) {
    return { groundingRate: 0, completeness: completenessOf(sop, result), consistency: 1, numericSupport: 1, rouge, overall: 0 };
  }
  const grounded = values.filter((v) => isValueGrounded(transcript, v.value)).length;
  const inconsistent = inconsistentValues(values);
  const scores = {
    groundingRate: grounded / values.length,
    completeness: completenessOf(sop, result),
    consistency: 1 - inconsistent.size / values.length,
    numericSupport: numericSupport(result.renderedNote, transcript).rate,
  };
  return { ...scores, rouge, overall: overallScore(scores) };
}

/** The encounter's overall evaluation across its SOPs: the mean of each score (ROUGE over those that have it). */
export function combineEvaluations(list: ReadonlyArray<EvaluationScores | undefined>): EvaluationScores {
  const scores = list.filter((s): s is EvaluationScores => s !== undefined);
  if (scores.length === 0) return { groundingRate: 0, completeness: 0, consistency: 0, numericSupport: 0, rouge: undefined, overall: 0 };
  const mean = (pick: (s: EvaluationScores) => number, xs: EvaluationScores[] = scores) => xs.reduce((n, s) => n + pick(s), 0) / xs.length;
  const withRouge = scores.filter((s) => s.rouge !== undefined);
  return {
    groundingRate: mean((s) => s.groundingRate),
    completeness: mean((s) => s.completeness),
    consistency: mean((s) => s.consistency),
    numericSupport: mean((s) => s.numericSupport),
    rouge:
      withRouge.length === 0
        ? undefined
        : {
            rouge1: mean((s) => s.rouge!.rouge1, withRouge),
            rouge2: mean((s) => s.rouge!.rouge2, withRouge),
            rougeL: mean((s) => s.rouge!.rougeL, withRouge),
          },
    overall: mean((s) => s.overall),
  };
}
