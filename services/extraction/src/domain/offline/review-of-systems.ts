import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { answerPolarity, isQuestion, type PatientPronouns } from './normalise.js';
import type { TranscriptSentence } from './transcript.js';

/**
 * Symptom words by body system, in the order review-of-systems lists them (general clinical
 * knowledge; the system names are the ones ACI-Bench training notes use).
 */
const SYSTEMS: [string, RegExp][] = [
  ['Constitutional', /\b(fevers?|chills|fatigue|night sweats|sweats|weight (?:loss|gain)|(?:lost|gained) (?:some )?weight|loss of appetite)\b/g],
  ['Eyes', /\b(blurry vision|blurred vision|vision changes|double vision)\b/g],
  ['Ears, Nose, Mouth and Throat', /\b(sore throat|nasal congestion|congestion|runny nose|sinus (?:pain|pressure)|ear pain|hearing loss)\b/g],
  ['Cardiovascular', /\b(chest pain|palpitations|swelling in (?:your|my|his|her) (?:legs|ankles|feet)|(?:leg|ankle) swelling|dyspnea on exertion)\b/g],
  ['Respiratory', /\b(shortness of breath|short of breath|cough|coughing|wheezing|trouble breathing|difficulty breathing)\b/g],
  ['Gastrointestinal', /\b(nausea|vomiting|diarrhea|constipation|abdominal pain|belly pain|stomach pain|blood in (?:your|my|the) stool|heartburn|reflux|bloating)\b/g],
  ['Genitourinary', /\b(burning with urination|painful urination|blood in (?:your|my|the) urine|urinary (?:frequency|urgency|incontinence)|incontinence)\b/g],
  ['Musculoskeletal', /\b(joint pain|muscle (?:aches|pain)|back pain|(?:knee|shoulder|hip|neck|wrist|ankle|elbow|hand|foot) pain|stiffness)\b/g],
  ['Neurological', /\b(numbness|tingling|headaches?|dizziness|dizzy|lightheaded(?:ness)?|weakness|seizures?|fainting|passed out)\b/g],
  ['Psychiatric', /\b(depression|anxiety|suicidal (?:thoughts|ideation)|trouble sleeping|insomnia)\b/g],
  ['Skin', /\b(rash(?:es)?|itching|skin lesions?|bruising)\b/g],
];

const NEGATED_BEFORE = /\b(?:no|not|don't|do n't|haven't|have n't|hasn't|has n't|never|denies|denied|without|any)\s+(?:\w+\s+){0,3}$/;

/** One symptom the patient endorsed or denied, with the span that says so. */
export interface SystemFinding {
  system: string;
  symptom: string;
  present: boolean;
  span: EvidenceSpan;
}

function symptomsIn(text: string): { system: string; symptom: string; at: number }[] {
  const t = text.toLowerCase();
  const out: { system: string; symptom: string; at: number }[] = [];
  for (const [system, re] of SYSTEMS) for (const m of t.matchAll(re)) out.push({ system, symptom: m[1]!, at: m.index });
  return out;
}

/**
 * Symptoms by body system from the transcript: a clinician's yes/no question with the patient's
 * answer, or the patient's own statement (negated when a negation leads the symptom). The first
 * mention of each symptom decides.
 */
export function reviewOfSystems(sentences: TranscriptSentence[]): SystemFinding[] {
  const seen = new Set<string>();
  const out: SystemFinding[] = [];
  const add = (f: SystemFinding): void => {
    if (seen.has(f.symptom)) return;
    seen.add(f.symptom);
    out.push(f);
  };
  sentences.forEach((s, i) => {
    if (s.speaker === 'doctor') {
      const answer = sentences[i + 1];
      if (!isQuestion(s.text) || !answer || answer.speaker === 'doctor') return;
      const polarity = answerPolarity(answer.text);
      if (!polarity) return;
      for (const m of symptomsIn(s.text)) add({ system: m.system, symptom: m.symptom, present: polarity === 'yes', span: { start: s.start, end: answer.end } });
      return;
    }
    if (isQuestion(s.text)) return;
    const lower = s.text.toLowerCase();
    for (const m of symptomsIn(s.text)) add({ system: m.system, symptom: m.symptom, present: !NEGATED_BEFORE.test(lower.slice(0, m.at)), span: { start: s.start, end: s.end } });
  });
  return out;
}

function listed(items: string[]): string {
  if (items.length <= 2) return items.join(' and ');
  return `${items.slice(0, -1).join(', ')}, and ${items.at(-1)}`;
}

/** Review-of-systems lines ("• Respiratory: Denies cough and wheezing."), one per system, with evidence. */
export function reviewOfSystemsLines(findings: SystemFinding[], pronouns: PatientPronouns): { text: string; spans: EvidenceSpan[] }[] {
  const lines: { text: string; spans: EvidenceSpan[] }[] = [];
  for (const [system] of SYSTEMS) {
    const here = findings.filter((f) => f.system === system);
    if (here.length === 0) continue;
    const phrase = (f: SystemFinding): string => f.symptom.replace(/\b(?:your|my)\b/g, pronouns.possessive);
    const parts: string[] = [];
    const reported = here.filter((f) => f.present).map(phrase);
    const denied = here.filter((f) => !f.present).map(phrase);
    if (reported.length > 0) parts.push(`Reports ${listed(reported)}.`);
    if (denied.length > 0) parts.push(`Denies ${listed(denied)}.`);
    lines.push({ text: `• ${system}: ${parts.join(' ')}`, spans: here.map((f) => f.span) });
  }
  return lines;
}

/** The history's summary of the symptom review: "He reports fatigue. He denies fever and chills." */
export function symptomSummary(findings: SystemFinding[], pronouns: PatientPronouns): { text: string; spans: EvidenceSpan[] }[] {
  const subject = pronouns.subject.charAt(0).toUpperCase() + pronouns.subject.slice(1);
  const noun: Record<string, string> = { lightheaded: 'lightheadedness', dizzy: 'dizziness', coughing: 'cough', 'short of breath': 'shortness of breath' };
  const phrase = (f: SystemFinding): string => noun[f.symptom] ?? f.symptom.replace(/\b(?:your|my)\b/g, pronouns.possessive);
  const out: { text: string; spans: EvidenceSpan[] }[] = [];
  const reported = findings.filter((f) => f.present);
  const denied = findings.filter((f) => !f.present);
  if (reported.length > 0) out.push({ text: `${subject} reports ${listed(reported.map(phrase))}.`, spans: reported.map((f) => f.span) });
  if (denied.length > 0) out.push({ text: `${subject} denies ${listed(denied.map(phrase))}.`, spans: denied.map((f) => f.span) });
  return out;
}
