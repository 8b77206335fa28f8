import { isNegatedIn } from '../assertion.js';
import { capitalise } from '@clinote/shared/note-style.js';
import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { answerPolarity, isQuestion, type PatientPronouns } from './normalise.js';
import type { TranscriptSentence } from './transcript.js';

/**
 * Symptom words by body system, in the order review-of-systems lists them (general clinical
 * knowledge; the system names are the ones ACI-Bench training notes use).
 */
const SYSTEMS: [string, RegExp][] = [
  ['Constitutional', /\b(fevers?|chills|fatigued?|night sweats|sweats|weight (?:loss|gain)|(?:lost|gained) (?:some )?weight|loss of appetite)\b/g],
  ['Eyes', /\b(blurry vision|blurred vision|vision changes|double vision)\b/g],
  ['Ears, Nose, Mouth and Throat', /\b(sore throat|nasal congestion|congestion|runny nose|sinus (?:pain|pressure)|ear pain|hearing loss)\b/g],
  ['Cardiovascular', /\b(chest pain|palpitations|swelling in (?:your|my|his|her) (?:legs|ankles|feet)|(?:leg|ankle) swelling|dyspnea on exertion)\b/g],
  ['Respiratory', /\b(shortness of breath|short of breath|cough|coughing|wheezing|trouble breathing|difficulty breathing)\b/g],
  ['Gastrointestinal', /\b(nausea|vomiting|diarrhea|constipation|abdominal pain|belly pain|stomach pain|blood in (?:your|my|the) stool|heartburn|reflux|bloating|bloated)\b/g],
  ['Genitourinary', /\b(burning with urination|painful urination|blood in (?:your|my|the) urine|urinary (?:frequency|urgency|incontinence)|incontinence)\b/g],
  ['Musculoskeletal', /\b(joint pain|muscle (?:aches|pain)|back pain|(?:(?:left|right) )?(?:knee|shoulder|hip|neck|wrist|ankle|elbow|hand|foot) pain|stiffness)\b/g],
  ['Neurological', /\b(numbness|tingling|headaches?|dizziness|dizzy|lightheaded(?:ness)?|weakness|seizures?|fainting|passed out)\b/g],
  ['Psychiatric', /\b(depression|anxiety|suicidal (?:thoughts|ideation)|(?:trouble|problems?) sleeping|insomnia)\b/g],
  ['Skin', /\b(rash(?:es)?|itching|skin lesions?|bruising)\b/g],
];


/** One symptom the patient endorsed or denied, with the span that says so. */
export interface SystemFinding {
  system: string;
  symptom: string;
  present: boolean;
  span: EvidenceSpan;
  /** Further spans a rewrite drew on (the complaint that gave the side). */
  support?: EvidenceSpan[];
}

// Spoken forms as the note names the symptom ("coughing" → "cough").
const SYMPTOM_NOUN: Record<string, string> = {
  coughing: 'cough',
  'short of breath': 'shortness of breath',
  lightheaded: 'lightheadedness',
  dizzy: 'dizziness',
  fatigued: 'fatigue',
  bloated: 'bloating',
  'belly pain': 'abdominal pain',
  'stomach pain': 'abdominal pain',
  'problem sleeping': 'problems sleeping',
};

function symptomsIn(text: string): { system: string; symptom: string; at: number }[] {
  const t = text.toLowerCase();
  const out: { system: string; symptom: string; at: number }[] = [];
  for (const [system, re] of SYSTEMS) for (const m of t.matchAll(re)) out.push({ system, symptom: SYMPTOM_NOUN[m[1]!] ?? m[1]!, at: m.index });
  return out;
}

/**
 * Symptoms by body system from the transcript: a clinician's yes/no question (or a check such as
 * "no shortness of breath") with the patient's answer, or the patient's own statement (negated when
 * a negation leads the symptom). The first mention of each symptom decides.
 */
export function reviewOfSystems(sentences: TranscriptSentence[]): SystemFinding[] {
  const seen = new Set<string>();
  const out: SystemFinding[] = [];
  const add = (f: SystemFinding): void => {
    // "knee pain" after "right knee pain" (or before it) is the same symptom.
    const bare = f.symptom.replace(/^(?:left|right) /, '');
    if (seen.has(f.symptom) || seen.has(bare)) return;
    seen.add(f.symptom);
    seen.add(bare);
    out.push(f);
  };
  sentences.forEach((s, i) => {
    if (s.speaker === 'doctor') {
      const answer = sentences[i + 1];
      if (!answer || answer.speaker === 'doctor') return;
      const polarity = answerPolarity(answer.text);
      // Unpunctuated checks ("just want to make sure you're not having any chest pain") count when answered yes or no.
      if (!polarity || (!isQuestion(s.text) && answer.text.split(/\s+/).length > 6)) return;
      for (const m of symptomsIn(s.text)) add({ system: m.system, symptom: m.symptom, present: polarity === 'yes', span: { start: s.start, end: answer.end } });
      return;
    }
    if (isQuestion(s.text)) return;
    // NegEx decides whether the symptom itself is negated ("no fever", "she has n't had any nausea").
    for (const m of symptomsIn(s.text)) add({ system: m.system, symptom: m.symptom, present: !isNegatedIn(s.text, m.at, m.at + 1), span: { start: s.start, end: s.end } });
  });
  return out;
}

/**
 * A body-part pain said without its side takes the side of the chief complaint that names the same
 * part ("elbow pain" with "Right elbow pain." → "right elbow pain"), the complaint joining its evidence.
 */
export function withComplaintSide(findings: SystemFinding[], complaint?: { text: string; spans: EvidenceSpan[] }): SystemFinding[] {
  const m = complaint?.text.toLowerCase().match(/^(left|right) ([a-z]+ pain)\b/);
  if (!m) return findings;
  return findings.map((f) => (f.symptom === m[2] ? { ...f, symptom: `${m[1]} ${f.symptom}`, support: complaint!.spans } : f));
}

function listed(items: string[]): string {
  if (items.length <= 2) return items.join(' and ');
  return `${items.slice(0, -1).join(', ')}, and ${items.at(-1)}`;
}

/**
 * Review-of-systems lines ("• Respiratory: Denies cough and wheezing."), one per system, with evidence.
 * `endorse` is the verb the practice's notes use for a positive ("Reports", "Endorses").
 */
export function reviewOfSystemsLines(findings: SystemFinding[], pronouns: PatientPronouns, endorse = 'Reports'): { text: string; spans: EvidenceSpan[] }[] {
  const lines: { text: string; spans: EvidenceSpan[] }[] = [];
  for (const [system] of SYSTEMS) {
    const here = findings.filter((f) => f.system === system);
    if (here.length === 0) continue;
    const phrase = (f: SystemFinding): string => f.symptom.replace(/\b(?:your|my)\b/g, pronouns.possessive);
    const parts: string[] = [];
    const reported = here.filter((f) => f.present).map(phrase);
    const denied = here.filter((f) => !f.present).map(phrase);
    if (reported.length > 0) parts.push(`${endorse} ${listed(reported)}.`);
    if (denied.length > 0) parts.push(`Denies ${listed(denied)}.`);
    lines.push({ text: `• ${system}: ${parts.join(' ')}`, spans: here.flatMap((f) => [f.span, ...(f.support ?? [])]) });
  }
  return lines;
}

/** The history's summary of the symptom review: "He reports fatigue. He denies fever and chills." */
export function symptomSummary(findings: SystemFinding[], pronouns: PatientPronouns): { text: string; spans: EvidenceSpan[] }[] {
  const subject = capitalise(pronouns.subject);
  const phrase = (f: SystemFinding): string => f.symptom.replace(/\b(?:your|my)\b/g, pronouns.possessive);
  const out: { text: string; spans: EvidenceSpan[] }[] = [];
  const reported = findings.filter((f) => f.present);
  const denied = findings.filter((f) => !f.present);
  if (reported.length > 0) out.push({ text: `${subject} reports ${listed(reported.map(phrase))}.`, spans: reported.flatMap((f) => [f.span, ...(f.support ?? [])]) });
  if (denied.length > 0) out.push({ text: `${subject} denies ${listed(denied.map(phrase))}.`, spans: denied.flatMap((f) => [f.span, ...(f.support ?? [])]) });
  return out;
}
