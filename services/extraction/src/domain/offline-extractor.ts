import type { EvidenceSpan, FieldValue, SectionResult, SopResult } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { FieldType, type SopField, type SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { assertFinding } from './assertion.js';
import type { CallBounds, ExtractionInput, ExtractionOutput, Extractor } from './extractor.js';
import { isGrounded } from './grounding.js';
import { answeredQuestion, isQuestion, normaliseSentence, patientPronouns, withPronouns, type PatientPronouns } from './offline/normalise.js';
import { bundledSectionModel, type SectionModel } from './offline/section-model.js';
import { NOTE_SECTIONS, sectionOfHeader, type NoteSection } from './offline/sections.js';
import { DEFAULT_SELECTION, scoreSentences, selectSentences, type SelectionOptions } from './offline/select.js';
import { supportedTemplateSentences } from './offline/template.js';
import { labelExamFinding } from './offline/exam.js';
import { reviewOfSystems, reviewOfSystemsLines } from './offline/review-of-systems.js';
import { parseTranscript, type TranscriptSentence } from './offline/transcript.js';
import { renderNote } from './render.js';

export interface OfflineOptions {
  model?: SectionModel;
  selection?: SelectionOptions;
  /** How many of the examples' notes lend supported sentences (0 = no templates). */
  templateExamples?: number;
  /** Keep fact-free headings and phrasing lines of the template. */
  templatePhrasing?: boolean;
  /** Build the review of systems from symptom questions and statements, by body system. */
  structuredReview?: boolean;
  /** Label dictated exam findings with their body system ("• Respiratory: ..."). */
  examSystems?: boolean;
}

/** One piece of note prose with the transcript span it was rewritten from. */
interface Statement {
  text: string;
  /** Empty for a template's fact-free phrasing ("• Medical Reasoning:"). */
  spans: EvidenceSpan[];
}

/**
 * Rewrites selected sentences as note statements. A clinician's question becomes "Denies/Reports X"
 * with the patient's answer; other questions are dropped, since notes state, they do not ask.
 */
function statements(sentences: TranscriptSentence[], pronouns: PatientPronouns, all: TranscriptSentence[]): Statement[] {
  const out: Statement[] = [];
  for (const s of sentences) {
    if (isQuestion(s.text)) {
      const answer = all[s.index + 1];
      const text = s.speaker === 'doctor' && answer && answer.speaker !== 'doctor' ? answeredQuestion(s.text, answer.text) : undefined;
      if (text) out.push({ text, spans: [{ start: s.start, end: answer!.end }] });
      continue;
    }
    const text = normaliseSentence(s.text, s.speaker, pronouns);
    if (/[a-z0-9]/i.test(text) && text.split(' ').length >= 2) out.push({ text, spans: [{ start: s.start, end: s.end }] });
  }
  return out;
}

function emptyValue(key: string): FieldValue {
  return { key, text: '', items: [], unit: '', code: '', evidence: [], grounded: false };
}

function fieldValue(transcript: string, field: SopField, found: Statement[]): FieldValue {
  const evidence = found.flatMap((s) => s.spans);
  // Phrasing alone states nothing: a value exists only with transcript evidence.
  if (evidence.length === 0) return emptyValue(field.key);
  const value: FieldValue = { ...emptyValue(field.key), evidence, grounded: isGrounded(transcript, evidence) };
  value.assertion = assertFinding(transcript, evidence[0]!);
  if (field.type === FieldType.FIELD_TYPE_LIST) value.items = found.filter((s) => s.spans.length > 0).map((s) => s.text);
  else if (field.type === FieldType.FIELD_TYPE_NUMBER) {
    const m = found.find((s) => s.spans.length > 0)!.text.match(/-?\d+(?:\.\d+)?/);
    if (!m) return emptyValue(field.key);
    value.number = Number(m[0]);
    value.unit = field.unit;
    value.text = m[0];
  } else value.text = joinProse(found.map((s) => s.text));
  return value;
}

/** Joins statements as prose; a heading or bullet line ("• Medical Treatment:") starts a new line. */
function joinProse(texts: string[]): string {
  let out = '';
  for (const t of texts) {
    const lineStart = /^[•\-*]|:$/.test(t) || /^[A-Z][A-Za-z ]+:/.test(t);
    out += out === '' ? t : lineStart || out.endsWith(':') ? `\n${t}` : ` ${t}`;
  }
  return out.trim();
}

// Words that tie a SOP field or section to a model section when its title is not a known header.
const SECTION_CUES: [RegExp, NoteSection[]][] = [
  [/\b(chief complaint|reason for (the )?visit|presenting complaint)\b/, ['chief_complaint']],
  [/\b(history|hpi|subjective|symptom|medication|allerg)/, ['history']],
  [/\b(review of systems|ros)\b/, ['review_of_systems']],
  [/\b(exam|vital|blood pressure|heart rate|pulse|temperature|objective)/, ['physical_exam']],
  [/\b(result|lab|imaging|x-ray|test)/, ['results']],
  [/\b(assessment|plan|impression|diagnos|treatment|follow)/, ['assessment_plan']],
];

/** Which model sections feed a SOP field: its own label first, then its section's title. */
export function sourcesFor(section: SopSection, field: SopField): NoteSection[] {
  const direct = sectionOfHeader(field.label) ?? sectionOfHeader(field.key.replace(/_/g, ' '));
  if (direct) return [direct];
  const fieldText = `${field.label} ${field.key.replace(/_/g, ' ')} ${field.instructions}`.toLowerCase();
  for (const [re, sections] of SECTION_CUES) if (re.test(`${field.label} ${field.key.replace(/_/g, ' ')}`.toLowerCase())) return sections;
  const bySection = sectionOfHeader(section.title);
  if (bySection) return [bySection];
  for (const [re, sections] of SECTION_CUES) if (re.test(fieldText)) return sections;
  const title = section.title.toLowerCase();
  if (/subjective/.test(title)) return ['chief_complaint', 'history', 'review_of_systems'];
  if (/objective/.test(title)) return ['physical_exam', 'results'];
  return [];
}

// Field-specific filters applied to a source section's statements (what makes a line a medication, ...).
const FIELD_FILTERS: [RegExp, RegExp][] = [
  [/medication|drug|prescription/, /\b(\d+ ?mg|milligrams?|taking|takes|prescri|medication|medicine|pills?|tablets?|dose)\b/i],
  [/allerg/, /\ballerg/i],
  [/blood pressure|\bbp\b/, /\bblood pressure\b.*\d|\b\d{2,3}\/\d{2,3}\b/i],
  [/heart rate|pulse/, /\b(heart rate|pulse)\b.*\d/i],
  [/temperature/, /\btemperature\b.*\d/i],
];

/** Fills one SOP field from the selected statements (or the whole transcript for specific lookups). */
function fillField(
  transcript: string,
  section: SopSection,
  field: SopField,
  bySection: Map<NoteSection, Statement[]>,
  all: Statement[],
): FieldValue {
  const key = `${field.label} ${field.key.replace(/_/g, ' ')}`.toLowerCase();
  const filter = FIELD_FILTERS.find(([re]) => re.test(key))?.[1];
  if (filter) return fieldValue(transcript, field, all.filter((s) => filter.test(s.text)).slice(0, field.type === FieldType.FIELD_TYPE_LIST ? 8 : 1));
  const sources = sourcesFor(section, field);
  return fieldValue(transcript, field, sources.flatMap((s) => bySection.get(s) ?? []));
}

/**
 * The offline default extractor: classifies transcript sentences into note sections with a model
 * learned from the shared training notes, keeps the most typical ones per section, rewrites them as
 * note prose, and grounds every value in the transcript sentences it came from. Examples are used
 * only as phrasing templates, never as a source of facts.
 */
export function extractOffline(input: ExtractionInput, options: OfflineOptions = {}): SopResult {
  const model = options.model ?? bundledSectionModel();
  const { transcript, sop } = input;
  const { sentences } = parseTranscript(transcript);
  const pronouns = patientPronouns(transcript);
  // Only sentences that make a note statement compete for a section's budget (open questions do not).
  const stated = new Set(statements(sentences, pronouns, sentences).flatMap((st) => st.spans.map((sp) => sp.start)));
  const scored = scoreSentences(model, sentences).filter((s) => stated.has(s.sentence.start));
  const chosen = selectSentences(model, scored, options.selection ?? DEFAULT_SELECTION);
  const templated = supportedTemplateSentences(input.examples, sentences, options.templateExamples ?? 3).filter(
    (t) => !t.phrasingOnly || (options.templatePhrasing ?? true),
  );
  const bySection = new Map<NoteSection, Statement[]>(
    NOTE_SECTIONS.map((section) => {
      const fromTemplate = templated.filter((t) => t.section === section);
      const used = fromTemplate.flatMap((t) => t.evidence);
      const extracted = statements(chosen.get(section) ?? [], pronouns, sentences).filter(
        (st) => !used.some((u) => st.spans.some((sp) => u.start <= sp.start && sp.end <= u.end)),
      );
      // A bare list number ("2.") numbers another patient's problems.
      const fromNotes = fromTemplate
        .filter((t) => !/^\d+\.$/.test(t.text.trim()))
        .map((t) => ({ text: withPronouns(t.text, pronouns), spans: t.evidence }));
      if (section === 'review_of_systems' && (options.structuredReview ?? true)) {
        const lines = reviewOfSystemsLines(reviewOfSystems(sentences), pronouns).map((l) => ({ text: l.text, spans: l.spans }));
        if (lines.length > 0) return [section, lines];
      }
      if (section === 'physical_exam' && (options.examSystems ?? true))
        return [section, [...fromNotes, ...extracted.map((st) => ({ ...st, text: labelExamFinding(st.text) }))]];
      return [section, [...fromNotes, ...extracted]];
    }),
  );
  let all: Statement[] | undefined;
  const allStatements = (): Statement[] => (all ??= statements(sentences, pronouns, sentences));
  const sections: SectionResult[] = sop.sections.map((section) => ({
    key: section.key,
    title: section.title,
    fields: section.fields.map((field) => {
      const key = `${field.label} ${field.key.replace(/_/g, ' ')}`.toLowerCase();
      const needsAll = FIELD_FILTERS.some(([re]) => re.test(key));
      return fillField(transcript, section, field, bySection, needsAll ? allStatements() : []);
    }),
  }));
  return { sopId: sop.id, sopVersion: sop.version, sections, renderedNote: renderNote(sop, sections) };
}

/** The product's default extractor when no LLM is configured: local, deterministic, no tokens. */
export class OfflineExtractor implements Extractor {
  readonly name = 'offline';

  constructor(private readonly options: OfflineOptions = {}) {}

  async extract(input: ExtractionInput, bounds: CallBounds): Promise<ExtractionOutput> {
    bounds.signal?.throwIfAborted();
    return { result: extractOffline(input, this.options), usage: [] };
  }
}
