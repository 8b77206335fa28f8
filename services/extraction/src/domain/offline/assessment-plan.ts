import { capitalise } from '@clinote/shared/note-style.js';
import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { findConcepts } from '@clinote/shared/clinical-lexicon/concepts.js';
import { isQuestion, normaliseSentence, type PatientPronouns } from './normalise.js';
import { trimEndOf } from './text-scan.js';
import type { TranscriptSentence } from './transcript.js';

/** What a plan statement does, in the order ACI-Bench notes list them under a problem. */
export type PlanKind = 'reasoning' | 'testing' | 'treatment' | 'education';
export const PLAN_KINDS: readonly PlanKind[] = ['reasoning', 'testing', 'treatment', 'education'];

export interface PlanStatement {
  kind: PlanKind;
  text: string;
  spans: EvidenceSpan[];
}

/** One assessed problem ("Congestive heart failure.") with what was said about it. */
export interface AssessedProblem {
  /** Undefined when the clinician never named the problem (the statements still count). */
  name?: { text: string; span: EvidenceSpan };
  statements: PlanStatement[];
}

// "for your first problem , your congestive heart failure ,"; "lastly , for your high blood pressure ,".
// Linear: each whitespace run is taken whole (`\s*(?!\s)`: what follows never starts with a space),
// the name never starts where the determiners could go on, and it is at most MAX_PROBLEM_WORDS words
// (a longer one is never a problem), so no cue rescans the rest of a long sentence.
const PROBLEM_CUE =
  /\b(?:for|regarding|as far as|in terms of|with regards? to)\s+(?!\s)(?:your|the|his|her)\s+(?!\s)(?:(first|second|third|fourth|next|last|final|primary|other)\s+(?!\s))?(problem|issue|diagnosis)?\s*(?!\s)(?:of|is|with)?\s*(?!\s),?\s*(?!\s)(?:of\s+(?!\s))?(?:(?:your|the|his|her|this|that)\s*(?!\s),?\s*(?!\s))*(?!your|the|his|her|this|that)([a-z][a-z'-]*(?: +[a-z'-]+){0,6}?)(?=\s*(?:[,.?]|$)|\s+(?:i|we|it|so|that|you|which|is|are|or|and i|and we)\b|\s+(?:your|his|her) (?:symptoms?|exam|x-?ray|mri|labs?|results?)\b)/;
// "for problem number two so the radiation pneumonitis so that's ..."
const NUMBERED_CUE =
  /\bfor (?:problem|issue|diagnosis) number \w+(?!\w)\s*(?!\s),?\s*(?!\s)(?:(?:so|is|the|your|his|her)\s+(?!\s))*(?!(?:so|is|the|your|his|her)\s)([a-z][a-z'-]*(?: +[a-z'-]+){0,6}?)(?=\s*(?:[,.?]|$)|\s+(?:so|that|i|we|it|which|is|and)\b)/;
// "for the first diagnosis the first problem of the lung cancer": the second naming restates the cue.
const RESTATED_CUE = /(\bfor (?:your|the|his|her) (?:first|second|third|next|last|primary) (?:problem|diagnosis|issue) )(?:(?:the|your) )?(?:first|second|third|next|last|primary) (?:problem|diagnosis|issue) (?:of|is) /;
const LEAD_BEFORE_CUE = /(?:^|[,.]\s*|\b(?:so|and|then|now|lastly|finally|next|secondly|okay|alright|um|uh)(?:\s*,)?\s*)$/;
const NOT_A_PROBLEM = /\b(plan|assessment|exam|examination|visit|results?|today|time|days?|weeks?|months?|while|part|meantime|information)\b/;
// Lay names the clinician uses for a problem, as a note names it.
const CLINICAL_NAME: [RegExp, string][] = [
  [/^high blood pressure$/, 'hypertension'],
  [/^high cholesterol$/, 'hyperlipidemia'],
  [/^(?:blood )?sugars?$/, 'diabetes'],
];
const MAX_PROBLEM_WORDS = 7;

// Where the clinician turns to the assessment and plan.
const PLAN_START = /\b(?:assessment and (?:my )?plan|my assessment|my impression|my plan for you|for your (?:first|primary) (?:problem|diagnosis))\b/;
// Where the plan ends: checking agreement, questions, wrapping up.
const PLAN_END = /\b(?:sound like a plan|sounds? good|any questions|does that make sense|finalize the note|end of dictation)\b/;
// Tag questions ("..., okay ?") still state; a note keeps the statement.
const TAG_QUESTION = /(?<![,\s])[,\s]*(?:okay|ok|alright|all right|right|yeah|sound good)\s*\?\s*$/i;
const SMALL_TALK = /\b(?:dragon|halloween|questions?|nice to|good to see|take care|have a (?:good|great))\b/i;

const TESTING = /\b(?:order|orders|ordered|ordering|x-?rays?|mri|ct|cat scan|ultrasound|echocardiogram|echo|labs?|lab work|blood ?work|a1c|tests?|testing|biopsy|scan|egd|colonoscopy|ekg|stress test|check(?:ing)? (?:your|his|her|a|some)|recheck)\b/;
const EDUCATION = /^(?:he|she|the patient|they) (?:should|needs? to|must|can)\b|\b(?:advised?|counsel(?:l)?ed|instructed|educated|encouraged|call (?:me|the office|us)|weigh|make sure|avoid|elevate|diet|exercise|report)\b/;
const TREATMENT =
  /\b(?:\d+ ?mg|milligrams?|prescri\w*|increase|decrease|start|continue|stop|discontinue|medications?|medicine|dose|surgery|physical therapy|therapy|brace|splint|sling|injections?|refer\w*|ice|antibiotics?|cream|ointment|tablets?|pills?|inhaler|procedure)\b/;

export function planKind(text: string): PlanKind {
  const t = text.toLowerCase();
  if (/^(?:he|she|the patient|they) should\b/.test(t)) return 'education';
  if (TESTING.test(t)) return 'testing';
  if (TREATMENT.test(t) && !EDUCATION.test(t)) return 'treatment';
  if (EDUCATION.test(t)) return 'education';
  if (TREATMENT.test(t)) return 'treatment';
  return 'reasoning';
}

/** The problem a clinician names at the start of a sentence, with its offsets in the transcript. */
export function problemNamed(s: TranscriptSentence): { text: string; span: EvidenceSpan; rest: number } | undefined {
  const lower = s.text.toLowerCase();
  const numbered = lower.match(NUMBERED_CUE);
  if (numbered?.index !== undefined && LEAD_BEFORE_CUE.test(lower.slice(0, numbered.index))) {
    const raw = numbered[1]!.trim();
    const at = numbered.index + numbered[0].length - numbered[1]!.length;
    if (raw.split(/\s+/).length <= MAX_PROBLEM_WORDS && !NOT_A_PROBLEM.test(raw)) {
      const clinical = CLINICAL_NAME.find(([re]) => re.test(raw))?.[1] ?? raw;
      return { text: capitalise(clinical), span: { start: s.start + at, end: s.start + at + numbered[1]!.length }, rest: at + numbered[1]!.length };
    }
  }
  const masked = lower.replace(RESTATED_CUE, (all, lead: string) => `${lead}${' '.repeat(all.length - lead.length)}`);
  // "so for your assessment and plan so for the first diagnosis ...": a cue that names no problem gives way to the next.
  for (const m of masked.matchAll(new RegExp(PROBLEM_CUE.source, 'g'))) {
    const named = cueProblem(s, lower, m);
    if (named) return named;
  }
  return undefined;
}

function cueProblem(s: TranscriptSentence, lower: string, m: RegExpMatchArray): { text: string; span: EvidenceSpan; rest: number } | undefined {
  if (m.index === undefined || !m[3]) return undefined;
  // A cue leads its sentence or clause; "i went for the holidays" is not a problem.
  if (!LEAD_BEFORE_CUE.test(lower.slice(0, m.index))) return undefined;
  if (!m[1] && !m[2] && !/\b(?:lastly|finally|next|then|now|so|secondly)(?:\s*,)?\s*$/.test(lower.slice(0, m.index))) return undefined;
  const raw = m[3].replace(/\s+/g, ' ').trim();
  const words = raw.split(' ');
  if (words.length === 0 || words.length > MAX_PROBLEM_WORDS || NOT_A_PROBLEM.test(raw)) return undefined;
  const at = m.index + m[0].length - m[3].length;
  const clinical = CLINICAL_NAME.find(([re]) => re.test(raw))?.[1] ?? raw;
  return { text: capitalise(clinical), span: { start: s.start + at, end: s.start + at + m[3].length }, rest: at + m[3].length };
}

// Dictation that states nothing on its own ("We will go ahead.", "See how he does.").
const DICTATION_FRAGMENT = /^(?:(?:so|and|then|okay)\s+)*(?:(?:we will|we can|i can|i will|let's)\s+(?:just\s+|also\s+|then\s+)?)?(?:go ahead(?: and)?|see how (?:he|she|the patient|they|it) (?:does|do|goes)|see what happens|take it from there|see where we are)[.!]?$/i;

/** Splits a plan sentence where a second action starts (", and we will order ..."). */
function clauses(text: string): string[] {
  return text
    .split(/,? and (?=(?:we will|he should|she should|the patient should|they should|order|continue|increase|start)\b)/i)
    .map((c) => trimEndOf(c.trim(), /[,;\s]/))
    .filter((c) => c.split(' ').length >= 3 && !DICTATION_FRAGMENT.test(c))
    .map((c) => {
      const t = /[.?!]$/.test(c) ? c : `${c}.`;
      return capitalise(t);
    });
}

function contentKey(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []);
}

/**
 * The assessment and plan as the clinician dictated it: each named problem with the statements
 * that follow it until the next problem, each statement sorted into reasoning, testing, treatment
 * or patient education. `accept` keeps a statement the section model does not call chit-chat.
 * Returns [] when the clinician named no problem.
 */
export function assessedProblems(
  sentences: TranscriptSentence[],
  pronouns: PatientPronouns,
  accept: (s: TranscriptSentence) => boolean = () => true,
): AssessedProblem[] {
  // A problem named in a question ("for your blood pressure , how are you doing ?") is history taking.
  const cues = sentences.map((s) => (s.speaker === 'doctor' && !isQuestion(s.text.replace(TAG_QUESTION, '')) ? problemNamed(s) : undefined));
  const start = sentences.findIndex((s) => s.speaker === 'doctor' && PLAN_START.test(s.text.toLowerCase()));
  const first = cues.findIndex((c, i) => c !== undefined && (start < 0 || i >= start));
  if (first < 0) return [];
  const problems: AssessedProblem[] = [];
  const seen: Set<string>[] = [];
  let current: AssessedProblem | undefined;
  for (let i = first; i < sentences.length; i++) {
    const s = sentences[i]!;
    if (s.speaker !== 'doctor') continue;
    if (PLAN_END.test(s.text.toLowerCase())) break;
    const cue = cues[i];
    let from = 0;
    if (cue) {
      const same = problems.find((p) => p.name?.text.toLowerCase() === cue.text.toLowerCase());
      if (same) current = same;
      else problems.push((current = { name: { text: cue.text, span: cue.span }, statements: [] }));
      from = cue.rest;
    }
    const raw = s.text.slice(from);
    if (isQuestion(raw.replace(TAG_QUESTION, '')) || SMALL_TALK.test(raw)) continue;
    const text = normaliseSentence(raw.replace(TAG_QUESTION, ' .'), 'doctor', pronouns);
    for (const clause of clauses(text)) {
      const kind = planKind(clause);
      // Reasoning is anything the clinician says; only what the section model files under the plan counts.
      if (kind === 'reasoning' && !cue && !accept(s)) continue;
      const key = contentKey(clause);
      // The same action dictated twice ("order another echocardiogram" / "order an echocardiogram").
      if (seen.some((k) => [...key].every((w) => k.has(w)) || [...k].every((w) => key.has(w)))) continue;
      seen.push(key);
      current!.statements.push({ kind, text: clause, spans: [{ start: s.start + from, end: s.end }] });
    }
  }
  return problems;
}

// "does that sound like a plan ?" / "any questions ?" and a patient's assent.
const AGREEMENT_QUESTION = /\b(?:sound like a plan|sounds? good|sound okay|okay with (?:that|this)|agree|any questions|does that make sense|all right with (?:that|this))\b/;
const ASSENT = /^(?:[a-z]+ ,? )?(?:yes|yeah|yep|sure|okay|ok|alright|all right|sounds (?:good|great|fine)|that sounds (?:good|great|fine)|that's fine|perfect|great|absolutely|definitely|no questions|no ,? i think|thank you)\b/;

/** The span where the patient agrees to the plan, if they were asked and assented. */
export function patientAgreement(sentences: TranscriptSentence[]): EvidenceSpan | undefined {
  for (let i = Math.floor(sentences.length / 2); i + 1 < sentences.length; i++) {
    const q = sentences[i]!;
    const a = sentences[i + 1]!;
    if (q.speaker !== 'doctor' || a.speaker === 'doctor' || !AGREEMENT_QUESTION.test(q.text.toLowerCase())) continue;
    if (ASSENT.test(a.text.toLowerCase().replace(/^(?:um|uh|well|oh)\s*,?\s*/, ''))) return { start: q.start, end: a.end };
  }
  return undefined;
}

export const PLAN_LABELS: Record<PlanKind, string> = {
  reasoning: 'Medical Reasoning',
  testing: 'Additional Testing',
  treatment: 'Medical Treatment',
  education: 'Patient Education and Counseling',
};

/** A plan action as a list item: "We will order an echocardiogram." → "Order an echocardiogram." */
export function planItem(text: string): string {
  const t = text.replace(/^(?:we will|we can|we'll|i will)\s+/i, '');
  return capitalise(t);
}

// Drug classes and supplements a note writes in lower case; named drugs it capitalises.
const DRUG_CLASS = new Set(
  ('antibiotic antibiotics anticoagulant antidepressant antidepressants antihistamine calcium chemotherapy diuretic estrogen inhaler ' +
    'insulin iron magnesium narcotics nsaid nsaids opioid opioids painkiller potassium progesterone statin steroid steroids vaccine vitamin').split(' '),
);

/** Named drugs capitalised ("increase lasix" stays, "continue lisinopril" → "continue Lisinopril"), by the shared lexicon. */
export function withDrugNames(text: string): string {
  let out = text;
  for (const m of findConcepts(text)) {
    if (m.category !== 'medication' || DRUG_CLASS.has(m.name)) continue;
    out = `${out.slice(0, m.start)}${out.charAt(m.start).toUpperCase()}${out.slice(m.start + 1)}`;
  }
  return out;
}

/**
 * A plan statement as it stands under its label: actions as orders ("We will increase his lasix to
 * 80 mg daily." → "Increase lasix to 80 mg daily."), drug names capitalised. Reasoning and
 * counselling keep their sentence.
 */
export function labelledPlanLine(kind: PlanKind, text: string): string {
  let t = text;
  if (kind === 'treatment' || kind === 'testing') {
    t = planItem(t)
      .replace(/^(Continue|Increase|Decrease|Start|Stop|Refill)(?: with)? (?:the|his|her|their|your) /, '$1 ')
      .replace(/^(Prescribe|Order|Give) (?:him|her|the patient|them) (?:some )?/, '$1 ')
      .replace(/^(Continue|Keep|Start) (?:him|her|the patient|patient|them) on (?:the |his |her )?/, '$1 ');
  }
  return withDrugNames(t);
}
