import { hasNegation } from '../assertion.js';
import { capitalise } from '@clinote/shared/note-style.js';
/**
 * The short history sections as reference notes write them: lists of conditions, drugs and family
 * illnesses ("Hypertension.", "Lisinopril 20 mg daily.", "Father with history of kidney stones.").
 * Names come from this transcript's own words, found with the shared clinical lexicon; each item
 * carries the span of the sentence that states it. Past notes lend only the layout (list or prose).
 */
import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { findConcepts, type ConceptMention } from '@clinote/shared/clinical-lexicon/concepts.js';
import { digitiseNumbers } from './numbers.js';
import { medicationsWithDose } from './history-parts.js';
import { isQuestion, normaliseSentence, type PatientPronouns } from './normalise.js';
import { trimEndOf } from './text-scan.js';
import type { TranscriptSentence } from './transcript.js';

/** One list item: a name (with dose, for drugs) and the sentence it was said in. */
export interface HistoryItem {
  text: string;
  span: EvidenceSpan;
  /** Said as absent ("no family history of cancer"). */
  negated?: boolean;
  /** Family items: who has it ("father"), as said. */
  relative?: string;
  /** A denial with no named illness ("anyone in your family ..." – "no"): no known family history. */
  noneKnown?: boolean;
}

// Lexicon words that name a class or a habit rather than a drug a note would list.
const GENERIC_DRUGS = new Set(
  'antibiotic antibiotics vitamin steroid steroids inhaler vaccine chemotherapy chemo nsaid nsaids antidepressant antidepressants painkiller narcotics opioid opioids diuretic antihistamine anticoagulant medication medications statin'.split(' '),
);
// A drug said as a new order or a change is the plan's, not a current medication.
const PLANNED_DRUG = /\b(?:prescrib\w*|recommend\w*|start(?:ed)? you|put you on|give you|switch\w*|refill|try you|order\w*|increase|decrease|we will|i'm gon na|i'm going to|i am going to|i wan na|i want to|i'd like to|you can take|you may|would like)\b/;
// How a sentence says the patient takes a drug now.
const TAKES_DRUG = /\b(?:tak(?:e|es|ing)|took|tried|using|use|on|started me on|continue|taking your)\b/;

// The words right before a drug whose dose the clinician changes.
const DOSE_CHANGE = /\b(?:increase|decrease|adjust|reduce|lower|raise|titrate|double|bump up)\s+(?:(?:the|his|her|your|my)\s+)?(?:dose of (?:the |his |her |your )?)?$/i;

/** Drug mentions of the lexicon's medication category in one sentence, as said. */
function drugMentions(text: string): ConceptMention[] {
  return findConcepts(text).filter((c) => c.category === 'medication' && !GENERIC_DRUGS.has(text.slice(c.start, c.end).toLowerCase()));
}

/**
 * The patient's current medications: drugs the patient says they take (or names in answer to a
 * medication question) and drugs the clinician says they are on or should continue; a dose said with
 * the drug in the same sentence is kept. Drugs only ordered or changed at this visit are left out.
 */
export function currentMedications(sentences: TranscriptSentence[], pronouns: PatientPronouns): HistoryItem[] {
  const items = new Map<string, HistoryItem>();
  for (const s of sentences) {
    const lower = s.text.toLowerCase();
    const drugs = drugMentions(s.text);
    if (drugs.length === 0) continue;
    const previous = sentences[s.index - 1];
    const answersMedicationQuestion =
      s.speaker !== 'doctor' && previous?.speaker === 'doctor' && /\b(?:medications?|taking|meds|pills|supplements?)\b/.test(previous.text.toLowerCase());
    const continued = s.speaker === 'doctor' && /\b(?:continue|you're on|you are on|have you on|you on the|taking your|keep you on)\b/.test(lower);
    const current = continued || (s.speaker !== 'doctor' && (TAKES_DRUG.test(lower) || answersMedicationQuestion || /^\W*\w+\W*$/.test(lower.replace(/[.?!,]/g, ''))));
    // A dose change ("increase your lasix to 80 mg") tells the drug is taken now; the new dose is the plan's.
    const changed = drugs.filter((d) => DOSE_CHANGE.test(s.text.slice(Math.max(0, d.start - 40), d.start)));
    for (const d of changed) {
      if (items.has(d.name)) continue;
      // "increase the lisinopril from 10 mg to 20 mg": the dose it is changed from is the current one.
      const from = digitiseNumbers(s.text.slice(d.end, d.end + 40).toLowerCase()).match(/^\s*from (\d+(?:\.\d+)?) ?(mg|mcg|units?|milligrams?)\b/);
      const dose = from ? ` ${from[1]} ${from[2]!.startsWith('milligram') ? 'mg' : from[2]}` : '';
      items.set(d.name, { text: `${capitalise(s.text.slice(d.start, d.end).toLowerCase())}${dose}`, span: { start: s.start, end: s.end } });
    }
    if (!current || (!continued && PLANNED_DRUG.test(lower))) continue;
    const dosed = medicationsWithDose(normaliseSentence(s.text, s.speaker, pronouns).replace(/\bwe will (?=continue|keep)/gi, ''));
    for (const d of drugs) {
      // The clinician's "continue the norvasc": the drug follows the cue within a few words.
      if (s.speaker === 'doctor' && !/\b(?:continue|on|taking|taken|took|tried|keep)\b(?:\s+\S+){0,4}\s*$/i.test(s.text.slice(0, d.start))) continue;
      const name = s.text.slice(d.start, d.end).toLowerCase();
      if (items.has(d.name)) {
        const known = items.get(d.name)!;
        const dose = dosed.find((x) => x.toLowerCase().startsWith(`${name} `));
        // A dose said later ("continue the lisinopril 20 mg") completes a drug named before.
        if (dose && !/\d/.test(known.text)) items.set(d.name, { text: dose.replace(/\.$/, ''), span: { start: Math.min(known.span.start, s.start), end: Math.max(known.span.end, s.end) } });
        continue;
      }
      const dose = dosed.find((x) => x.toLowerCase().startsWith(`${name} `));
      items.set(d.name, { text: dose ? dose.replace(/\.$/, '') : capitalise(name), span: { start: s.start, end: s.end } });
    }
  }
  return [...items.values()];
}

const RELATIVE = /\b(mother|mom|father|dad|sister|brother|siblings?|grandmother|grandfather|grandma|grandpa|aunt|uncle|parents|son|daughter|cousin)\b/;
const FAMILY = /\b(?:family|runs in|mother|mom|father|dad|sister|brother|siblings?|grandmother|grandfather|grandma|grandpa|aunt|uncle|parents|cousin)\b/;
// Cues that a sentence tells the patient's own past conditions.
const OWN_HISTORY = /\b(?:history of|diagnosed with|been diagnosed|i've had|you've had|suffer(?:s|ed)? from|medical problems?|health problems?)\b/;
// Lexicon problems too vague, or too acute, to list as the patient's history.
const VAGUE_PROBLEMS = new Set(
  'disease disorder syndrome injury injuries infection infections mass lesion allergy allergies cancer failure stone stones smoker smoking tear pain sprain strain fracture flu influenza covid murmur murmurs nodule tumor cyst dehydration deficiency'.split(' '),
);
// Long-standing conditions: "your diabetes", "my high blood pressure" tells the patient has them.
const CHRONIC = /^(?:hypertension|type 2 diabetes|diabetes|diabetes mellitus|asthma|copd|congestive heart failure|atrial fibrillation|hyperlipidemia|hypothyroidism|hyperthyroidism|depression|anxiety|arthritis|osteoarthritis|rheumatoid arthritis|gerd|sleep apnea|neuropathy|kidney disease|gout|migraines?|epilepsy|obesity)$/;
// "no family history of", "nobody in my family": a denial tied to the family, not any "not" nearby.
const FAMILY_DENIED = /\b(?:no|denies|denied|negative for|not aware of any|no known|nobody|no one)\b(?:\s+\S+){0,4}\s+(?:family|relatives?)\b/;

/**
 * Lexicon problems of a sentence, as said ("type 2 diabetes", "kidney stones"), digitised; a lay
 * term or abbreviation under its clinical name ("high blood pressure" → "hypertension").
 */
function problemMentions(text: string): { name: string; surface: string; possessed: boolean }[] {
  return findConcepts(text)
    .filter((c) => c.category === 'problem' && !VAGUE_PROBLEMS.has(c.name))
    .map((c) => {
      const said = digitiseNumbers(text.slice(c.start, c.end).toLowerCase());
      const surface = said.replace(/s$/, '') === c.name.replace(/s$/, '') ? said : c.name;
      return { name: c.name, surface, possessed: /\b(?:(?:your|my|his|her)\s+(?:\w+\s+)?|problems? (?:of |is |with )?(?:the |your |this )?|for the )$/i.test(text.slice(Math.max(0, c.start - 30), c.start)) };
    });
}

/**
 * The patient's past conditions: problems named where the patient tells their history or answers a
 * question about it, or the clinician states it ("you have a history of hypertension"). Sentences
 * about a relative belong to the family history.
 */
export function medicalHistory(sentences: TranscriptSentence[]): HistoryItem[] {
  const items = new Map<string, HistoryItem>();
  for (const s of sentences) {
    const lower = s.text.toLowerCase();
    if (FAMILY.test(lower) || hasNegation(lower) || /\?\s*$/.test(lower)) continue;
    const previous = sentences[s.index - 1];
    const answers = s.speaker !== 'doctor' && previous?.speaker === 'doctor' && /\b(?:medical (?:history|problems?)|health problems?|history of)\b/.test(previous.text.toLowerCase());
    const told = answers || OWN_HISTORY.test(lower);
    for (const p of problemMentions(s.text))
      if ((told || (p.possessed && CHRONIC.test(p.name))) && !items.has(p.name)) items.set(p.name, { text: capitalise(p.surface), span: { start: s.start, end: s.end } });
  }
  // "diabetes" said beside "type 2 diabetes" is the same condition.
  const all = [...items.values()];
  return all.filter((i) => !all.some((o) => o !== i && o.text.length > i.text.length && o.text.toLowerCase().includes(i.text.toLowerCase())));
}

// What a family-history question asks about: "family history of gi problems", "anybody in the family with kidney failure".
// Whitespace runs are taken whole and the topic runs to the end; familyTopic drops the closing spaces
// and marks (a lazy topic before /\s*[?.]*$/ would retry that tail from every character).
const FAMILY_TOPIC =
  /\b(?:family history of|in (?:the|your|his|her) family (?:with|that (?:you know )?(?:has|have|had)|who (?:has|have|had)|has|have|had)|family (?:have|has|had|with))\s+(?!\s)(?:any\s+(?!\s))?(?:history of\s+(?!\s))?(?:any\s+(?!\s))?([^]+)$/;
const GENERIC_TOPIC = /^(?:diseases?|illness(?:es)?|problems?|conditions?|issues|medical (?:problems?|conditions?|issues|history)|health (?:problems?|issues|conditions?)|anything|that|this|things like that)$/;
// How an answer says there is none, or nothing known.
const NONE_ANSWER = /^(?:\W*(?:no|nope|nah|none|not that i know|not really|i do ?n't think so|i don't know|nobody|no one)\b)|\b(?:adopted|no idea|pretty healthy|not aware of any)\b/;

/** The topic as /(.+?)\s*[?.]*$/ takes it from `rest`: without its closing spaces and marks, one character at least. */
function familyTopic(rest: string): string {
  const end = trimEndOf(trimEndOf(rest, /[?.]/), /\s/).length;
  return rest.slice(0, Math.max(1, end));
}

/**
 * A family-history question answered "no" ("anybody in the family with kidney failure?" – "no."):
 * the illnesses it asked about, denied; a question about any illness at all, no known history.
 * Question and answer are adjacent sentences of different speakers (some transcripts swap the tags).
 */
function deniedFamilyHistory(sentences: TranscriptSentence[]): HistoryItem[] {
  const out: HistoryItem[] = [];
  for (const q of sentences) {
    const answer = sentences[q.index + 1];
    const lower = q.text.toLowerCase();
    if (!answer || answer.speaker === q.speaker || !/\bfamily\b/.test(lower) || !(isQuestion(q.text) || /^\W*(?:anyone|anybody)\b/.test(lower))) continue;
    if (!NONE_ANSWER.test(answer.text.toLowerCase())) continue;
    const asked = lower.match(FAMILY_TOPIC)?.[1];
    const topic = asked === undefined ? undefined : trimEndOf(familyTopic(asked).replace(/(?<!\s)\s+,/g, ','), /[,\s]/).trim();
    const span = { start: q.start, end: answer.end };
    if (!topic || GENERIC_TOPIC.test(topic)) out.push({ text: '', span, negated: true, noneKnown: true });
    else if (topic.split(/\s+/).length <= 8 && !/\b(?:you|your|i|we)\b/.test(topic)) out.push({ text: digitiseNumbers(topic), span, negated: true });
  }
  return out;
}

/** Illnesses of the patient's relatives ("my dad had kidney stones"), and denied family history. */
export function familyHistory(sentences: TranscriptSentence[]): HistoryItem[] {
  const items = new Map<string, HistoryItem>();
  for (const d of deniedFamilyHistory(sentences)) items.set(d.noneKnown ? '(none known)' : d.text, d);
  for (const s of sentences) {
    const lower = s.text.toLowerCase();
    if (!FAMILY.test(lower) || /\?\s*$/.test(lower)) continue;
    const relative = lower.match(RELATIVE)?.[1];
    const negated = FAMILY_DENIED.test(lower) && !/\byes\b/.test(lower);
    if (!relative && !/\bfamily history\b|\bruns in\b/.test(lower)) continue;
    for (const p of problemMentions(s.text))
      if (!items.has(p.name)) items.set(p.name, { text: p.surface, span: { start: s.start, end: s.end }, ...(negated ? { negated } : {}), ...(relative && !negated ? { relative } : {}) });
  }
  return [...items.values()];
}

// Operations told in lay words, under their clinical names (general clinical knowledge).
const LAY_OPERATIONS: [RegExp, string][] = [
  [/\bnose job\b/, 'rhinoplasty'],
  [/\bappendix\b/, 'appendectomy'],
  [/\bgall ?bladder\b/, 'cholecystectomy'],
  [/\btonsils\b/, 'tonsillectomy'],
  [/\badenoids\b/, 'adenoidectomy'],
  [/\buterus\b/, 'hysterectomy'],
  [/\bspleen\b/, 'splenectomy'],
  [/\bthyroid\b/, 'thyroidectomy'],
  [/\bprostate\b/, 'prostatectomy'],
  [/\bwisdom teeth\b/, 'wisdom teeth extraction'],
];
const REMOVED = /\b(?:taken out|removed|took (?:\w+ ){1,3}out|had (?:\w+ ){1,3}out|out)\b/;
const SURGICAL_PROCEDURE = /(?:ectomy|otomy|ostomy|plasty|pexy|replacement|repair|fusion|bypass|arthroscopy|section|ligation|transplant)$/;
// How a sentence says the patient had an operation.
const HAD_OPERATION = /\b(?:i had|i've had|i have had|i did have|they took|had (?:a|an|my|the|his|her)|history of|status post|underwent|s\/p)\b/;

/**
 * The patient's past operations: procedures said where the patient tells of an operation or answers
 * a question about surgeries ("I had my appendix taken out" → "Appendectomy"). Clinician plans for
 * an operation at this visit are left out (those sentences are not told as had).
 */
export function surgicalHistory(sentences: TranscriptSentence[]): HistoryItem[] {
  const items = new Map<string, HistoryItem>();
  for (const s of sentences) {
    const lower = s.text.toLowerCase();
    if (isQuestion(s.text) || /\b(?:no|never|not)\b/.test(lower)) continue;
    const previous = sentences[s.index - 1];
    const answers = previous !== undefined && previous.speaker !== s.speaker && /\b(?:surger(?:y|ies)|operations?|procedures?)\b/.test(previous.text.toLowerCase());
    if (!answers && !HAD_OPERATION.test(lower)) continue;
    const named = findConcepts(s.text)
      .filter((c) => c.category === 'procedure' && SURGICAL_PROCEDURE.test(c.name))
      .map((c) => c.name);
    const lay = LAY_OPERATIONS.filter(([re, name]) => re.test(lower) && (name === 'rhinoplasty' || REMOVED.test(lower))).map(([, name]) => name);
    for (const name of [...named, ...lay]) if (!items.has(name)) items.set(name, { text: capitalise(name), span: { start: s.start, end: s.end } });
  }
  return [...items.values()];
}

/** Whether past notes write a part as prose ("Patient reports taking ...") rather than a list. */
export function prosePart(body: string): boolean {
  return /^(?:the )?patient\b|^(?:he|she) /i.test(body.trim());
}

/** "A", "A and B", "A, B, and C". */
function series(names: string[]): string {
  if (names.length <= 2) return names.join(' and ');
  return `${names.slice(0, -1).join(', ')}, and ${names.at(-1)}`;
}

/** One note line per item, or one prose sentence in the layout of the examples' notes. */
export function historyLines(part: 'medical_history' | 'surgical_history' | 'medications' | 'family_history', items: HistoryItem[], prose: boolean): { text: string; spans: EvidenceSpan[] }[] {
  if (items.length === 0) return [];
  const lower = (t: string): string => (/^[A-Z][a-z]/.test(t) && part !== 'medications' ? t.charAt(0).toLowerCase() + t.slice(1) : t);
  if (part === 'family_history') {
    const denied = items.filter((i) => i.negated);
    const had = items.filter((i) => !i.negated);
    const lines = had.map((i) => ({
      text: i.relative ? `${capitalise(i.relative)} with history of ${lower(i.text)}.` : `Family history of ${lower(i.text)}.`,
      spans: [i.span],
    }));
    const named = denied.filter((i) => !i.noneKnown);
    if (named.length > 0) lines.push({ text: `Denies family history of ${series(named.map((i) => lower(i.text)))}.`, spans: named.map((i) => i.span) });
    else if (denied.length > 0 && had.length === 0) lines.push({ text: 'No known family history.', spans: denied.map((i) => i.span) });
    return prose ? [{ text: lines.map((l) => (/^(?:Denies|No known)/.test(l.text) ? l.text : `Patient reports ${lower(l.text)}`)).join(' '), spans: lines.flatMap((l) => l.spans) }] : lines;
  }
  if (!prose) return items.map((i) => ({ text: `${capitalise(i.text)}.`, spans: [i.span] }));
  const names = series(items.map((i) => lower(i.text)));
  const text = part === 'medications' ? `Patient reports taking ${names}.` : `Patient reports a history of ${names}.`;
  return [{ text, spans: items.map((i) => i.span) }];
}
