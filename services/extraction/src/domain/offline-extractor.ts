import type { Assertion, EvidenceSpan, FieldValue, SectionResult, SopResult } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { FieldType, type SopField, type SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { assertionsOf } from './assertion.js';
import { assessedProblems, labelledPlanLine, patientAgreement, PLAN_KINDS, PLAN_LABELS, planItem, planKind, type AssessedProblem } from './offline/assessment-plan.js';
import type { CallBounds, ExtractionInput, ExtractionOutput, Extractor } from './extractor.js';
import { isGrounded } from './grounding.js';
import { answeredQuestion, isQuestion, normaliseSentence, patientPronouns, withPronouns, type PatientPronouns } from './offline/normalise.js';
import { chiefComplaint, composedOpener, dictatedOpener } from './offline/chief-complaint.js';
import { bundledSectionModel, type SectionModel } from './offline/section-model.js';
import { NOTE_SECTIONS, type NoteSection } from './offline/sections.js';
import { DEFAULT_SELECTION, scoreSentences, selectSentences, type SelectionOptions } from './offline/select.js';
import { supportedTemplateSentences } from './offline/template.js';
import { examFindings } from './offline/exam.js';
import { reviewOfSystems, reviewOfSystemsLines, symptomSummary, withComplaintSide, type SystemFinding } from './offline/review-of-systems.js';
import { dictatedVitals, vitalKindOf, vitalLine, vitalRemarks, type VitalSign } from './offline/vitals.js';
import { belongsTo, historyPartOf, PART_LIMIT, type HistoryPart } from './offline/history-parts.js';
import { currentMedications, familyHistory, historyLines, medicalHistory, surgicalHistory, type HistoryItem } from './offline/history-lists.js';
import { hpiStatement, topicAnswer } from './offline/hpi.js';
import { studyLead } from './offline/results.js';
import { socialHistory } from './offline/social-history.js';
import { visitInstructions } from './offline/instructions.js';
import { parseTranscript, type Speaker, type TranscriptSentence } from './offline/transcript.js';
import { renderNote } from './render.js';
import { planRole, routeField, sourcesFor } from './offline/routing.js';
import { exampleLayout, headerFor } from './offline/example-layout.js';
import { inNoteStyle } from './offline/note-prose.js';

export interface OfflineOptions {
  model?: SectionModel;
  selection?: SelectionOptions;
  /**
   * Fill short history sections (social history, medications, vitals, ...) only when a past note
   * of the examples keeps that section: notes of that layout have them, others tell them in the HPI.
   */
  partsFromLayout?: boolean;
}

/** How many of the examples' notes lend supported sentences and their layout. */
const TEMPLATE_EXAMPLES = 3;

/** One piece of note prose with the transcript span it was rewritten from. */
interface Statement {
  text: string;
  /** Empty for a template's fact-free phrasing ("• Medical Reasoning:"). */
  spans: EvidenceSpan[];
  /** Starts a new line or paragraph (a problem of the assessment). */
  breakBefore?: 'line' | 'paragraph';
  /** Who said it, for rewrites that depend on the voice (the patient's "we" is the household). */
  speaker?: Speaker;
}

/**
 * Rewrites selected sentences as note statements. A clinician's question becomes "Denies/Reports X"
 * with the patient's answer; other questions are dropped, since notes state, they do not ask.
 */
function statementOf(s: TranscriptSentence, pronouns: PatientPronouns, all: TranscriptSentence[]): Statement | undefined {
  if (isQuestion(s.text)) {
    const answer = all[s.index + 1];
    const text = s.speaker === 'doctor' && answer && answer.speaker !== 'doctor' ? answeredQuestion(s.text, answer.text) : undefined;
    return text ? { text, spans: [{ start: s.start, end: answer!.end }] } : undefined;
  }
  const text = normaliseSentence(s.text, s.speaker, pronouns);
  return /[a-z0-9]/i.test(text) && text.split(' ').length >= 2 ? { text, spans: [{ start: s.start, end: s.end }], speaker: s.speaker } : undefined;
}

/**
 * Drops a past note's heading line ("• Blood Pressure:") that nothing of its own follows: the values it
 * introduced were another patient's, and a label with nothing after it reads as a gap.
 */
function withoutEmptyHeadings(found: Statement[]): Statement[] {
  return found.filter((st, i) => {
    if (!/:\s*$/.test(st.text)) return true;
    const next = found[i + 1]?.text;
    return next !== undefined && !/^[•\-*]|^[A-Z][A-Za-z ]+:/.test(next);
  });
}

/** `{ key: value }` when the value is defined, else `{}` (exactOptionalPropertyTypes-friendly). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

function emptyValue(key: string): FieldValue {
  return { key, text: '', items: [], unit: '', code: '', evidence: [], grounded: false };
}

function fieldValue(m: Pick<NoteMaterial, 'transcript' | 'assert' | 'seen' | 'pronouns'>, field: SopField, spoken: Statement[]): FieldValue {
  const { transcript } = m;
  // Every statement in note style; what cannot be rewritten cleanly, or was said in an earlier field, is left out.
  const found = spoken.flatMap((st) => {
    if (st.spans.length === 0) return [st];
    const text = inNoteStyle(st.text, m.seen, m.pronouns);
    return text ? [{ ...st, text }] : [];
  });
  const evidence = found.flatMap((s) => s.spans);
  // Phrasing alone states nothing: a value exists only with transcript evidence.
  if (evidence.length === 0) return emptyValue(field.key);
  const value: FieldValue = { ...emptyValue(field.key), evidence, grounded: isGrounded(transcript, evidence) };
  value.assertion = m.assert(evidence[0]!);
  if (field.type === FieldType.FIELD_TYPE_LIST) value.items = found.filter((s) => s.spans.length > 0).map((s) => s.text);
  else if (field.type === FieldType.FIELD_TYPE_NUMBER) {
    const m = found.find((s) => s.spans.length > 0)!.text.match(/-?\d+(?:\.\d+)?/);
    if (!m) return emptyValue(field.key);
    value.number = Number(m[0]);
    value.unit = field.unit;
    value.text = m[0];
  } else value.text = joinProse(found);
  return value;
}

/** A dictated vital sign as a field: "120/80" for text fields, the number for number fields. */
function vitalValue(transcript: string, field: SopField, vital: VitalSign): FieldValue {
  const evidence = [vital.span];
  const value: FieldValue = { ...emptyValue(field.key), text: vital.text, unit: field.unit, evidence, grounded: isGrounded(transcript, evidence) };
  if (field.type === FieldType.FIELD_TYPE_NUMBER) value.number = vital.value;
  if (field.type === FieldType.FIELD_TYPE_LIST) {
    value.items = [vital.text];
    value.text = '';
  }
  return value;
}

const LABEL_LINE = /^[•\-*]|^[A-Z][A-Za-z ]+:/;

/**
 * Joins statements as prose: a heading or bullet line ("• Medical Treatment: ...") starts a new line,
 * a problem a new paragraph, and a label's content follows it on the same line.
 */
function joinProse(found: Statement[]): string {
  let out = '';
  for (const st of found) {
    const t = st.text;
    if (out === '') out = t;
    else if (st.breakBefore) out += st.breakBefore === 'paragraph' ? `\n\n${t}` : `\n${t}`;
    else out += LABEL_LINE.test(t) || /:$/.test(t) ? `\n${t}` : ` ${t}`;
  }
  return out.trim();
}


/** What the extractor found in one transcript, shared by all fields of a SOP. */
interface NoteMaterial {
  transcript: string;
  /** Keys of the sentences the note has already stated, so that no field repeats another. */
  seen: Set<string>;
  /** The NegEx/ConText assertion of a finding at a span of this transcript. */
  assert: (span: EvidenceSpan) => Assertion;
  bySection: Map<NoteSection, Statement[]>;
  /** Every statement of the transcript, for lookups such as medications (built on first use). */
  all: () => Statement[];
  problems: AssessedProblem[];
  /** Where the patient assented to the plan. */
  agreement?: EvidenceSpan;
  /** Whether the past notes lay out each problem under "• Medical Reasoning:"-style labels. */
  planLabels: boolean;
  chiefComplaint?: Statement;
  vitals: VitalSign[];
  /** What the patient reports and denies, by body system, summed up at the history's close. */
  findings: SystemFinding[];
  /** "<Name> is a <age>-year-old <sex> who presents for <reason>.", dictated or composed. */
  opener?: Statement;
  /** The history parts the examples' notes keep as sections; undefined = fill every part asked for. */
  layout?: Set<HistoryPart>;
  /** Conditions, drugs and family illnesses this transcript names (built on first use). */
  lists: () => Record<ListPart, HistoryItem[]>;
  /** How the note refers to the patient (for rewritten fragments). */
  pronouns?: PatientPronouns;
  /** Tobacco, alcohol, work, home and pastimes, from the history taking (built on first use). */
  social: () => Statement[];
  /** History parts the SOP keeps as sections of their own. */
  ownSections: Set<HistoryPart>;
  /** Follow-up and call-back instructions of the visit's close (built on first use). */
  instructions: () => Statement[];
  /** The list parts the examples' notes write as prose ("Patient reports taking ..."). */
  prose: Set<HistoryPart>;
  /** The transcript's sentences, for rewrites that need the question a statement answers. */
  sentences?: TranscriptSentence[];
}

/**
 * The patient's "it" answer that opens a turn, resolved against the clinician's topic question, for
 * each history statement of that turn: "how about your diet ?" + "it's been a struggle . we began ..."
 * → "His diet has been a struggle." before "They began ...". Evidence covers question and answer.
 */
function withTopicAnswers(found: Statement[], sentences: TranscriptSentence[], pronouns: PatientPronouns): Statement[] {
  const byStart = new Map(sentences.map((s) => [s.start, s]));
  const added = new Set<number>();
  return found.flatMap((st) => {
    const own = st.speaker === 'patient' && st.spans.length === 1 ? byStart.get(st.spans[0]!.start) : undefined;
    if (!own) return [st];
    const opening = sentences.find((s) => s.turn === own.turn);
    const asked = opening ? sentences.filter((s) => s.turn === own.turn - 1 && s.speaker === 'doctor') : [];
    if (!opening || asked.length === 0 || added.has(opening.start)) return [st];
    const text = topicAnswer(asked.map((s) => s.text).join(' '), opening.text, pronouns);
    if (!text) return [st];
    added.add(opening.start);
    const resolved: Statement = { text, spans: [{ start: asked[0]!.start, end: asked[asked.length - 1]!.end }, { start: opening.start, end: opening.end }] };
    return opening === own ? [resolved] : [resolved, st];
  });
}

type ListPart = 'medical_history' | 'surgical_history' | 'medications' | 'family_history';
const LIST_PARTS: readonly HistoryPart[] = ['medical_history', 'surgical_history', 'medications', 'family_history'];

/** Statements of one history part: this transcript's own sentences about it, never the plan's. */
function partValue(m: NoteMaterial, field: SopField, part: HistoryPart, ownSection: boolean): FieldValue {
  // A part the SOP asks for beside other fields (a SOAP note's medications) is always filled;
  // a section of its own follows the examples' layout.
  // Past operations are named outright ("Appendectomy."), so notes keep them apart whatever the layout.
  if (ownSection && part !== 'surgical_history' && part !== 'social_history' && !(part === 'instructions' && m.instructions().length > 0) && m.layout && !m.layout.has(part) && !(part === 'family_and_social_history' && (m.layout.has('family_history') || m.layout.has('social_history'))))
    return emptyValue(field.key);
  const limit = field.type === FieldType.FIELD_TYPE_LIST ? 8 : PART_LIMIT[part];
  if (part === 'vitals')
    return fieldValue(m, field, [
      ...m.vitals.slice(0, limit).map((v) => ({ text: vitalLine(v), spans: [v.span], breakBefore: 'line' as const })),
      ...vitalRemarks(m.transcript, m.vitals).map((r) => ({ text: r.text, spans: [r.span], breakBefore: 'line' as const })),
    ]);
  const planned = m.problems.flatMap((p) => p.statements.flatMap((st) => st.spans));
  if (LIST_PARTS.includes(part)) {
    const listPart = part as ListPart;
    // A list field holds items; prose ("Patient reports taking ...") only fills a text field.
    const lines = historyLines(listPart, m.lists()[listPart].slice(0, limit), field.type !== FieldType.FIELD_TYPE_LIST && m.prose.has(part));
    return fieldValue(m, field, lines.map((l, i) => ({ ...l, ...(i > 0 ? { breakBefore: 'line' as const } : {}) })));
  }
  if (part === 'social_history') return fieldValue(m, field, m.social().slice(0, limit).map((l, i) => ({ ...l, ...(i > 0 ? { breakBefore: 'line' as const } : {}) })));
  const found = m
    .all()
    .filter((st) => belongsTo(part, st.text) && !st.spans.some((sp) => planned.some((o) => sp.start < o.end && o.start < sp.end)));
  // Instructions close the visit: the last follow-up statements of its second half, never the opening "presents for follow-up".
  if (part === 'instructions') {
    const composed = m.instructions();
    if (composed.length > 0) return fieldValue(m, field, composed.map((l, i) => ({ ...l, ...(i > 0 ? { breakBefore: 'line' as const } : {}) })));
    const late = found.filter((st) => st.spans[0]!.start > m.transcript.length / 2 && !/\bpresents?\b/i.test(st.text));
    return fieldValue(m, field, late.slice(-limit));
  }
  return fieldValue(m, field, found.slice(0, limit));
}

const AGREEMENT_TEXT = 'Patient Agreements: The patient understands and agrees with the recommended medical treatment plan.';

/** The problems and their statements; without named problems, the section's statements as one. */
function problemsOrSection(m: NoteMaterial): AssessedProblem[] {
  if (m.problems.length > 0) return m.problems;
  const found = m.bySection.get('assessment_plan') ?? [];
  return [{ statements: found.map((st) => ({ kind: planKind(st.text), text: st.text, spans: st.spans })) }];
}

/** The full assessment and plan: each problem, then its reasoning, tests, treatment and counselling. */
function assessmentAndPlanStatements(m: NoteMaterial): Statement[] {
  const out: Statement[] = [];
  // ACI-Bench notes restate the one-line summary before the problems.
  if (m.opener) out.push(m.opener);
  if (m.problems.length === 0) out.push(...(m.bySection.get('assessment_plan') ?? []));
  for (const p of m.problems) {
    if (p.name) out.push({ text: `${p.name.text}.`, spans: [p.name.span], ...(out.length > 0 ? { breakBefore: 'paragraph' as const } : {}) });
    for (const kind of PLAN_KINDS) {
      p.statements
        .filter((st) => st.kind === kind)
        .forEach((st, i) => {
          const line = labelledPlanLine(kind, st.text);
          const text = m.planLabels && i === 0 ? `• ${PLAN_LABELS[kind]}: ${line}` : line;
          out.push({ text, spans: st.spans, ...(m.planLabels && i === 0 ? { breakBefore: 'line' as const } : {}) });
        });
    }
  }
  if (m.agreement) out.push({ text: AGREEMENT_TEXT, spans: [m.agreement], breakBefore: 'paragraph' });
  return out;
}

/** The assessment alone: one line per problem with the clinician's reasoning. */
function assessmentStatements(m: NoteMaterial): Statement[] {
  const out: Statement[] = [];
  for (const p of problemsOrSection(m)) {
    const reasoning = p.statements.filter((st) => st.kind === 'reasoning');
    if (p.name) {
      const first = reasoning[0];
      const text = first ? `${p.name.text}: ${first.text.charAt(0).toLowerCase()}${first.text.slice(1)}` : `${p.name.text}.`;
      out.push({ text, spans: [p.name.span, ...(first?.spans ?? [])], ...(out.length > 0 ? { breakBefore: 'line' as const } : {}) });
      reasoning.slice(1).forEach((st) => out.push({ text: st.text, spans: st.spans }));
    } else reasoning.forEach((st) => out.push({ text: st.text, spans: st.spans }));
  }
  return out;
}

/** The plan alone: one action per item, in problem order, then the patient's agreement. */
function planStatements(m: NoteMaterial): Statement[] {
  const out = problemsOrSection(m).flatMap((p) =>
    p.statements.filter((st) => st.kind !== 'reasoning').map((st) => ({ text: planItem(st.text), spans: st.spans })),
  );
  if (m.agreement) out.push({ text: 'The patient understands and agrees with the plan.', spans: [m.agreement] });
  return out;
}

/** Fills one SOP field by its route (see offline/routing.ts). */
function fillField(m: NoteMaterial, section: SopSection, field: SopField): FieldValue {
  const route = routeField(section, field);
  switch (route.kind) {
    case 'history_part':
      return partValue(m, field, route.part, route.ownSection);
    case 'vital': {
      const vital = m.vitals.find((v) => v.kind === route.vital);
      return vital ? vitalValue(m.transcript, field, vital) : emptyValue(field.key);
    }
    case 'lookup':
      return fieldValue(m, field, m.all().filter((s) => route.filter.test(s.text)).slice(0, field.type === FieldType.FIELD_TYPE_LIST ? 8 : 1));
    case 'assessment_plan':
      return fieldValue(m, field, assessmentAndPlanStatements(m));
    case 'assessment':
      return fieldValue(m, field, assessmentStatements(m));
    case 'plan':
      return fieldValue(m, field, planStatements(m));
    case 'chief_complaint':
      return fieldValue(m, field, m.chiefComplaint ? [m.chiefComplaint] : (m.bySection.get('chief_complaint') ?? []));
    case 'history':
      return historyValue(m, field, route.sources.flatMap((s) => m.bySection.get(s) ?? []));
    case 'sections':
      return fieldValue(m, field, route.sources.flatMap((s) => m.bySection.get(s) ?? []));
  }
}

/** The history of present illness: the one-line summary, the history's own statements, then the symptom review. */
function historyValue(m: NoteMaterial, field: SopField, found: Statement[]): FieldValue {
  // The one-line summary opens the history, once; the symptom review closes it.
  const opener = m.opener;
  // Neither the summary again nor what the clinician said about the plan belongs to the history.
  // Nor what a social history section of the same note already states.
  const planned = [
    ...(opener?.spans ?? []),
    ...m.problems.flatMap((p) => p.statements.flatMap((st) => st.spans)),
    ...(m.ownSections.has('social_history') ? m.social().flatMap((st) => st.spans) : []),
  ];
  let rest = found
    .filter((st) => !st.spans.some((sp) => planned.some((o) => sp.start < o.end && o.start < sp.end)))
    .flatMap((st) => {
      const text = m.pronouns ? hpiStatement(st.text, m.pronouns, st.speaker) : st.text;
      return text ? [{ ...st, text }] : [];
    });
  if (m.sentences && m.pronouns) rest = withTopicAnswers(rest, m.sentences, m.pronouns);
  // The summary adds only symptoms the history's own sentences do not already name.
  const told = rest.map((st) => st.text.toLowerCase()).join(' ');
  const symptoms = symptomSummary(m.findings.filter((f) => !told.includes(f.symptom)), m.pronouns ?? patientPronouns(m.transcript));
  return fieldValue(m, field, [...(opener ? [opener] : []), ...rest, ...symptoms]);
}

const STUDY_READ = /\b(?:results? of|x-ray|mri|ct scan|cat scan|echocardiogram|ultrasound|ekg|ecg|lab work|blood work|hemoglobin a1c)\b/i;

// A dialogue this short documents one thing; a one-field SOP on it takes all it states.
const SHORT_DIALOGUE_SENTENCES = 60;

/** Whether the SOP is one free-text field over a short dialogue (a section note, as in MTS-Dialog). */
function isWholeNoteField(sections: SopSection[], sentenceCount: number): boolean {
  const field = sections.length === 1 && sections[0]!.fields.length === 1 ? sections[0]!.fields[0]! : undefined;
  return field?.type === FieldType.FIELD_TYPE_TEXT && sentenceCount <= SHORT_DIALOGUE_SENTENCES;
}

/**
 * A one-field note of a short dialogue: the field's own extraction when it is a specific one (chief
 * complaint, a history part, vitals) and found something; else every statement of the dialogue.
 */
function fillWholeDialogue(m: NoteMaterial, section: SopSection, field: SopField): FieldValue {
  const part = historyPartOf(field.label) ?? historyPartOf(section.title);
  const specific = part !== undefined || sourcesFor(section, field)[0] === 'chief_complaint' || vitalKindOf(`${field.label} ${field.key}`) !== undefined;
  if (specific) {
    const own = fillField({ ...m, layout: undefined, seen: new Set(m.seen) }, section, field);
    if (own.evidence.length > 0) return own;
  }
  // What the clinician will do belongs to a plan; a history or exam section leaves it out.
  const planning = planRole(section, field) !== undefined || /\b(?:plan|disposition|course|procedure|instruction)/i.test(`${section.title} ${field.label}`);
  return fieldValue(m, field, planning ? m.all() : m.all().filter((st) => !PLANNED.test(st.text)));
}

const PLANNED = /^(?:we|i) (?:will|can|are going to|am going to|would like to|want to|need to|should)\b/i;

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
  // Each sentence is rewritten once; sections reuse the statement of every sentence they chose.
  const statementBySentence = sentences.map((s) => statementOf(s, pronouns, sentences));
  const everyStatement = statementBySentence.flatMap((st) => st ?? []);
  const stated = new Set(everyStatement.flatMap((st) => st.spans.map((sp) => sp.start)));
  const scored = scoreSentences(model, sentences)
    .filter((s) => stated.has(s.sentence.start))
    // A study read out during the exam ("the results of your chest x-ray ... show") is a result, not a finding.
    .map((s) => (s.best === 'physical_exam' && STUDY_READ.test(s.sentence.text) ? { ...s, best: 'results' } : s));
  const chosen = selectSentences(model, scored, options.selection ?? DEFAULT_SELECTION);
  const examples = input.examples.slice(0, TEMPLATE_EXAMPLES);
  const layout = exampleLayout(examples);
  const templated = supportedTemplateSentences(examples, sentences, TEMPLATE_EXAMPLES);
  const bestSection = new Map(scored.map((s) => [s.sentence.start, s.best]));
  const problems = assessedProblems(sentences, pronouns, (s) => bestSection.get(s.start) === 'assessment_plan');
  const firstProblem = problems.find((p) => p.name)?.name;
  const cc = chiefComplaint(sentences, firstProblem && { text: `${firstProblem.text}.`, spans: [firstProblem.span] });
  const findings = withComplaintSide(reviewOfSystems(sentences), cc);
  const bySection = new Map<NoteSection, Statement[]>(
    NOTE_SECTIONS.map((section) => {
      const fromTemplate = templated.filter((t) => t.section === section);
      const used = fromTemplate.flatMap((t) => t.evidence);
      const extracted = (chosen.get(section) ?? []).flatMap((s) => statementBySentence[s.index] ?? []).filter(
        (st) => !used.some((u) => st.spans.some((sp) => u.start <= sp.start && sp.end <= u.end)),
      );
      // A bare list number ("2.") numbers another patient's problems. Fact-free lines of a past note state nothing here; a supported sentence keeps its label.
      const fromNotes = fromTemplate
        // A heading line ("• Blood Pressure:") introduced the past patient's values; alone it states nothing.
        .filter((t) => !t.phrasingOnly && !/^\d+\.$/.test(t.text.trim()))
        .map((t, i, all) => {
          const label = t.label && all[i - 1]?.label !== t.label ? `${t.label} ` : '';
          return { text: withPronouns(`${label}${t.text}`, pronouns), spans: t.evidence };
        });
      if (section === 'review_of_systems') {
        const lines = reviewOfSystemsLines(findings, pronouns, layout.endorseVerb).map((l) => ({ text: l.text, spans: l.spans }));
        if (lines.length > 0) return [section, lines];
      }
      if (section === 'physical_exam')
        return [section, withoutEmptyHeadings([...fromNotes, ...extracted.flatMap((st) => examFindings(st.text).map((text) => ({ ...st, text })))])];
      if (section === 'results') {
        // Notes open the results with the study read; its findings follow.
        const lead = studyLead(sentences);
        if (lead) return [section, withoutEmptyHeadings([lead, ...fromNotes, ...extracted])];
      }
      return [section, withoutEmptyHeadings([...fromNotes, ...extracted])];
    }),
  );
  let lists: Record<ListPart, HistoryItem[]> | undefined;
  const dictated = dictatedOpener(sentences);
  const opener: Statement | undefined = dictated
    ? { text: normaliseSentence(dictated.text, 'doctor', pronouns), spans: [{ start: dictated.start, end: dictated.end }] }
    : composedOpener(sentences, pronouns, cc);
  const planFrom = Math.min(...problems.flatMap((p) => p.statements.flatMap((st) => st.spans.map((sp) => sp.start))));
  let social: Statement[] | undefined;
  let instructions: Statement[] | undefined;
  const material: NoteMaterial = {
    transcript,
    assert: assertionsOf(transcript),
    seen: new Set(),
    sentences,
    social: () => (social ??= socialHistory(sentences, pronouns, planFrom)),
    ownSections: new Set(sop.sections.flatMap((sec) => (sec.fields.length === 1 ? (historyPartOf(sec.title) ?? []) : []))),
    instructions: () => (instructions ??= visitInstructions(sentences, pronouns, Math.min(planFrom, transcript.length / 2))),
    bySection,
    all: () => everyStatement,
    problems,
    vitals: dictatedVitals(transcript, (at) => sentences.find((s) => s.start <= at && at < s.end)?.speaker === 'patient'),
    findings,
    ...optional('chiefComplaint', cc),
    ...optional('opener', opener?.text ? opener : undefined),
    ...optional('agreement', patientAgreement(sentences)),
    ...optional('layout', (options.partsFromLayout ?? true) ? layout.parts : undefined),
    pronouns,
    lists: () =>
      (lists ??= {
        medical_history: medicalHistory(sentences),
        surgical_history: surgicalHistory(sentences),
        medications: currentMedications(sentences, pronouns),
        family_history: familyHistory(sentences),
      }),
    prose: layout.proseParts,
    planLabels: layout.planLabels,
  };
  const sections: SectionResult[] = sop.sections.map((section) => ({
    key: section.key,
    title: headerFor(section.title, layout.headers) ?? section.title,
    fields: section.fields.map((field) =>
      isWholeNoteField(sop.sections, sentences.length) ? fillWholeDialogue(material, section, field) : fillField(material, section, field),
    ),
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
