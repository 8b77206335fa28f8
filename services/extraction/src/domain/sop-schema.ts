// A SOP compiles to the strict JSON Schema the LLM must answer in, and to an ajv validator that checks
// what comes back. Every value carries verbatim transcript quotes; toSopResult aligns them to offsets.
import {
  type Assertion,
  Certainty,
  type EvidenceSpan,
  type FieldValue,
  type SectionResult,
  type SopResult,
} from '@clinote/shared/gen/clinote/common/v1/common.js';
import { FieldType, type Sop, type SopField } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { assertFinding } from './assertion.js';
import { alignQuote } from './grounding.js';
import { renderNote } from './render.js';

export type JsonSchema = Record<string, unknown>;

export type SopValidation = { ok: true; value: ExtractedSop } | { ok: false; errors: string[] };

export interface CompiledSop {
  /** Schema name accepted by the OpenAI API (`^[a-zA-Z0-9_-]{1,64}$`). */
  name: string;
  jsonSchema: JsonSchema;
  validate(value: unknown): SopValidation;
}

/** What the model returns for one field (the shape depends on the field type; quotes always present). */
export interface ExtractedField {
  value?: string | number | null;
  unit?: string | null;
  code?: string | null;
  items?: Array<{ value: string; evidence_quotes: string[] }>;
  evidence_quotes?: string[];
}

export type ExtractedSop = Record<string, Record<string, ExtractedField>>;

const QUOTES_DESCRIPTION =
  'Verbatim quotes copied exactly from the transcript that support the value (short, one per supporting passage). Empty only when the value is null.';

const quotes = (): JsonSchema => ({ type: 'array', description: QUOTES_DESCRIPTION, items: { type: 'string' } });

function strictObject(properties: Record<string, JsonSchema>, description?: string): JsonSchema {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

function describeField(field: SopField): string {
  const parts = [field.label || field.key, field.instructions].filter(Boolean);
  if (field.type === FieldType.FIELD_TYPE_NUMBER && field.unit) parts.push(`Unit: ${field.unit}.`);
  if (field.type === FieldType.FIELD_TYPE_CODED && field.codeSystem) parts.push(`Code system: ${field.codeSystem}.`);
  if (field.required) parts.push('Required: fill it whenever the transcript supports it.');
  parts.push('Use null when the transcript does not say.');
  return parts.join(' — ');
}

/** Strict-mode field schema: every property required, nullable through a type union, no extras. */
function fieldSchema(field: SopField): JsonSchema {
  const description = describeField(field);
  switch (field.type) {
    case FieldType.FIELD_TYPE_LIST:
      return strictObject(
        {
          items: {
            type: 'array',
            description: 'One entry per item; empty when the transcript mentions none.',
            items: strictObject({ value: { type: 'string' }, evidence_quotes: quotes() }),
          },
        },
        description,
      );
    case FieldType.FIELD_TYPE_NUMBER:
      return strictObject(
        {
          value: { type: ['number', 'null'] },
          unit: { type: ['string', 'null'], description: field.unit ? `Expected unit: ${field.unit}` : 'Unit as stated' },
          evidence_quotes: quotes(),
        },
        description,
      );
    case FieldType.FIELD_TYPE_DATE:
      return strictObject(
        { value: { type: ['string', 'null'], description: 'ISO 8601 date (YYYY-MM-DD) when the transcript gives one, else the words used' }, evidence_quotes: quotes() },
        description,
      );
    case FieldType.FIELD_TYPE_ENUM:
      return strictObject({ value: { type: ['string', 'null'], enum: [...field.enumValues, null] }, evidence_quotes: quotes() }, description);
    case FieldType.FIELD_TYPE_CODED:
      return strictObject(
        {
          value: { type: ['string', 'null'], description: 'The finding as stated' },
          code: { type: ['string', 'null'], description: field.codeSystem ? `${field.codeSystem} code, or null if unsure` : 'Code, or null if unsure' },
          evidence_quotes: quotes(),
        },
        description,
      );
    default:
      return strictObject({ value: { type: ['string', 'null'] }, evidence_quotes: quotes() }, description);
  }
}

function schemaName(sop: Sop): string {
  const base = `sop_${sop.id || sop.name || 'draft'}`.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 56);
  return `${base}_v${sop.version}`;
}

function buildSchema(sop: Sop): JsonSchema {
  const sections: Record<string, JsonSchema> = {};
  for (const section of sop.sections) {
    const fields: Record<string, JsonSchema> = {};
    for (const field of section.fields) fields[field.key] = fieldSchema(field);
    sections[section.key] = strictObject(fields, [section.title, section.instructions].filter(Boolean).join(' — '));
  }
  return strictObject(sections, `Structured note for SOP "${sop.name}"`);
}

function formatError(e: ErrorObject): string {
  const path = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return `${path}: unexpected property ${String(e.params['additionalProperty'])}`;
  if (e.keyword === 'required') return `${path}: missing property ${String(e.params['missingProperty'])}`;
  if (e.keyword === 'enum') return `${path}: must be one of the allowed values`;
  return `${path}: ${e.message ?? e.keyword}`;
}

// Compiling is the slow part; SOP versions are immutable, so (id, version) identifies the schema.
const CACHE_LIMIT = 256;
const cache = new Map<string, CompiledSop>();
const ajv = new Ajv({ allErrors: true, strict: false });

/** Compiles a SOP version to its strict JSON Schema and validator (cached per id and version). */
export function compileSop(sop: Sop): CompiledSop {
  const key = sop.id ? `${sop.id}@${sop.version}` : '';
  const hit = key ? cache.get(key) : undefined;
  if (hit) return hit;
  const jsonSchema = buildSchema(sop);
  const check: ValidateFunction = ajv.compile(jsonSchema);
  const compiled: CompiledSop = {
    name: schemaName(sop),
    jsonSchema,
    validate(value) {
      if (check(value)) return { ok: true, value: value as ExtractedSop };
      return { ok: false, errors: (check.errors ?? []).slice(0, 20).map(formatError) };
    },
  };
  if (key) {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, compiled);
  }
  return compiled;
}

/** Findings get assertion attributes; measurements and dates do not. */
function isFinding(field: SopField): boolean {
  return field.type !== FieldType.FIELD_TYPE_NUMBER && field.type !== FieldType.FIELD_TYPE_DATE;
}

interface Alignment {
  spans: EvidenceSpan[];
  allFound: boolean;
}

function alignAll(transcript: string, quoteList: readonly string[]): Alignment {
  const spans: EvidenceSpan[] = [];
  let allFound = quoteList.length > 0;
  for (const q of quoteList) {
    const span = alignQuote(transcript, q);
    if (!span) {
      allFound = false;
      continue;
    }
    if (!spans.some((s) => s.start === span.start && s.end === span.end)) spans.push(span);
  }
  return { spans, allFound };
}

function emptyValue(key: string): FieldValue {
  return { key, text: '', items: [], number: undefined, unit: '', code: '', evidence: [], grounded: false, assertion: undefined };
}

function toFieldValue(field: SopField, transcript: string, raw: ExtractedField | undefined): FieldValue {
  const out = emptyValue(field.key);
  if (!raw) return out;
  let filled = false;
  let alignment: Alignment = { spans: [], allFound: false };
  if (field.type === FieldType.FIELD_TYPE_LIST) {
    const items = (raw.items ?? []).filter((i) => i.value.trim());
    out.items = items.map((i) => i.value.trim());
    filled = items.length > 0;
    // Each item needs its own evidence: one grounded item must not vouch for another.
    const perItem = items.map((i) => alignAll(transcript, i.evidence_quotes));
    alignment = { spans: perItem.flatMap((a) => a.spans), allFound: perItem.length > 0 && perItem.every((a) => a.allFound) };
  } else {
    const quoteList = raw.evidence_quotes ?? [];
    if (field.type === FieldType.FIELD_TYPE_NUMBER) {
      if (typeof raw.value === 'number' && Number.isFinite(raw.value)) {
        out.number = raw.value;
        out.unit = raw.unit?.trim() || field.unit;
        out.text = out.unit ? `${raw.value} ${out.unit}` : String(raw.value);
        filled = true;
      }
    } else if (typeof raw.value === 'string' && raw.value.trim()) {
      out.text = raw.value.trim();
      out.code = raw.code?.trim() ?? '';
      filled = true;
    }
    alignment = alignAll(transcript, quoteList);
  }
  if (!filled) return out;
  out.evidence = alignment.spans.sort((a, b) => a.start - b.start);
  out.grounded = alignment.allFound && out.evidence.length > 0;
  if (isFinding(field) && out.evidence.length > 0) out.assertion = combineAssertions(out.evidence.map((s) => assertFinding(transcript, s)));
  return out;
}

/** One assertion for a value with several spans: negated/possible only when no span affirms it. */
function combineAssertions(list: Assertion[]): Assertion {
  const first = list[0]!;
  const affirmed = list.find((a) => a.certainty === Certainty.CERTAINTY_AFFIRMED);
  return affirmed ?? first;
}

/**
 * Turns a validated model answer into a SopResult: quotes aligned to transcript offsets, `grounded`
 * false unless every quote was found (and a filled value has at least one), assertion attributes from
 * the evidence, and the rendered note. Empty values are never grounded.
 */
export function toSopResult(sop: Sop, transcript: string, parsed: ExtractedSop): SopResult {
  const sections: SectionResult[] = sop.sections.map((section) => ({
    key: section.key,
    title: section.title,
    fields: section.fields.map((field) => toFieldValue(field, transcript, parsed[section.key]?.[field.key])),
  }));
  return { sopId: sop.id, sopVersion: sop.version, sections, renderedNote: renderNote(sop, sections) };
}
