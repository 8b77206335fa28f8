import { capitalise } from '@clinote/shared/note-style.js';
import { followedOnLine, lastLineStart, trimEndOf } from './text-scan.js';

// Body systems of a dictated exam finding, in ACI-Bench training-note naming (general clinical
// knowledge for the trigger words). The first system whose words the finding holds labels it;
// limb swelling is filed under Musculoskeletal, as those notes do.
const LIMB_BEFORE_EDEMA = /\b(?:extremit(?:y|ies)|ankles?|calf|calves)\b/gi;
const LIMB_AFTER_EDEMA = /\b(?:extremit(?:y|ies)|ankles?|legs?|feet)\b/gi;
const EDEMA = /\bedema\b/gi;
// Limb edema, as /\b(extremit(?:y|ies)|ankles?|calf|calves)\b.*\bedema\b|\bedema\b.*\b(extremit(?:y|ies)|ankles?|legs?|feet)\b/i tests it, in one pass.
const LIMB_EDEMA = { test: (text: string): boolean => followedOnLine(text, LIMB_BEFORE_EDEMA, EDEMA) || followedOnLine(text, EDEMA, LIMB_AFTER_EDEMA) };
const EXAM_SYSTEMS: [string, { test(text: string): boolean }][] = [
  ['Neck', /\b(neck|jugular|thyroid|lymphadenopathy|carotid)\b/i],
  ['Musculoskeletal', LIMB_EDEMA],
  ['Respiratory', /\b(lungs?|breath sounds|wheez\w*|crackles|rales|rhonchi|auscultation)\b/i],
  ['Cardiovascular', /\b(heart|murmurs?|rate and rhythm|gallops?|rubs?|pulses?|edema)\b/i],
  ['Gastrointestinal', /\b(abdomen|abdominal|bowel sounds|quadrant|hepatosplenomegaly)\b/i],
  ['Neurological', /\b(neuro\w*|sensation|reflexes|strength|cranial nerves|gait)\b/i],
  ['Musculoskeletal', /\b(knee|shoulder|hip|back|spine|wrist|ankle|elbow|range of motion|tenderness|joint|effusion|swelling)\b/i],
  ['Skin', /\b(skin|rash|lesions?|incision|wound|erythema)\b/i],
];

const LABELLED = /^[•\-*]|^[A-Z][A-Za-z ,/]{2,40}:/;

/** "• Cardiovascular: <finding>" for a dictated finding that names a body system; other text as is. */
export function labelExamFinding(text: string): string {
  if (LABELLED.test(text)) return text;
  const system = EXAM_SYSTEMS.find(([, re]) => re.test(text))?.[0];
  return system ? `• ${system}: ${text}` : text;
}

// The dictation around a finding: "On his heart exam, I do appreciate ...", "On exam she does have ...".
const EXAM_LEAD =
  /^(?:(?:and|so|now|also|then)\b,?\s*)*(?:(?:on|upon|in) (?:(?:his|her|the patient's|the|physical)\s+)?(?:[a-z]+\s+){0,2}exam(?:ination)?\b,?\s*|(?:his|her) (?:heart|lungs?|abdomen|neck|back|skin)\s*,\s*(?=i\b))/i;
const OBSERVER = /^(?:i(?:-i)?|we) (?:do |can |also |definitely |still )*(?:appreciate|hear|see|feel|note|notice|find|palpate)(?: that)?,?\s*/i;
// "I don't feel any tenderness over ..." → "No tenderness over ...".
const OBSERVER_DENIES = /^(?:i(?:-i)?|we) (?:do n't|don't|do not|did n't|didn't) (?:appreciate|hear|see|feel|note|notice|find|palpate) (?:any\s+)?/i;
// What the clinician says while examining, not what was found ("let me look at his knee here").
const NOT_A_FINDING = /^(?:let me|lem me|let's|i'm going to|i'm gon na|we will|i want to|i wan na)\b/i;
const PATIENT_HAS = /^(?:he|she|the patient) (?:does |also )*(?:has|have|had|exhibits)\s+/i;
// A clinician's aside after the finding: ", which we've heard in the past".
const ASIDE = /(?!(?<=\s)\s),?\s*which (?:we|i)(?:'ve| have)? (?:\w+ )?(?:heard|seen|noted|known|appreciated)\b[^]*$/i;
// "his lower extremities have 1+ pitting edema" → "1+ pitting edema in the lower extremities". The finding
// starts after the spaces (or is the one space left), so a failed match does not retry every split of them.
const PART_HAS = /^(?:his|her|the patient's) ((?:bilateral )?(?:lower |upper )?(?:extremities|legs|ankles|feet)) (?:has|have|show|shows),?\s*(\S.*|[^\S\n\r\u2028\u2029])$/i;

/** One clause of a dictated finding as note text, or '' when nothing is left. */
function findingText(clause: string): string {
  let t = trimEndOf(clause.trim(), /[.?!]/);
  // Cut-off syllables ("s- s- systolic") are stutters, not words.
  t = t.replace(/\b[a-z]{1,3}- (?=[a-z])/gi, '');
  t = t.replace(/^(?:sorry|okay|so)\b,?\s*/i, '').replace(/^(?:we will|let's|i'll|i will) say (?:that )?/i, '');
  for (let k = 0; k < 2; k++) t = t.replace(EXAM_LEAD, '').replace(OBSERVER_DENIES, 'no ').replace(OBSERVER, '').replace(PATIENT_HAS, '');
  if (NOT_A_FINDING.test(t)) return '';
  // ASIDE ends in `[^]*$` for `.*$`: tried from the last line only (and a comma just before it).
  let lastLine = lastLineStart(t);
  if (lastLine > 0 && t[lastLine - 1] === ',') lastLine--;
  t = `${t.slice(0, lastLine)}${t.slice(lastLine).replace(ASIDE, '')}`
    .replace(/^(?:he|she|the patient) (?:does n't|doesn't|does not) have (?:any\s+)?/i, 'no ')
    .replace(/^there (is|are),\s*/i, 'there $1 ');
  const part = t.match(PART_HAS);
  if (part) t = `${trimEndOf(part[2]!, /[,\s]/)} in the ${part[1]!.toLowerCase()}`;
  t = t
    .replace(/^(?:some|a|an|that)\s+(?=\S)/i, '')
    // Murmur grades as notes write them: "3 out of 6" → "3/6".
    .replace(/\b([1-6]) out of ([46])\b/g, '$1/$2')
    .replace(/^(?:his|her)\s+(?=(?:heart|lungs?|abdomen|neck|back|skin)\b)/i, '')
    .trim();
  return t.split(/\s+/).length >= 2 ? `${capitalise(t)}.` : '';
}

/**
 * A dictated exam sentence as labelled findings in note voice: the exam lead and the observer go
 * ("On his heart exam, I do appreciate a 3 out of 6 systolic ejection murmur" → "• Cardiovascular:
 * 3/6 systolic ejection murmur."), and clauses about different body systems become lines of their
 * own. Every word of a finding is the sentence's own; lines without a system stay unlabelled.
 */
export function examFindings(text: string): string[] {
  if (LABELLED.test(text)) return [text];
  const clauses = text.split(/,\s*and\s+(?=(?:on |his |her |the |there |i |he |she ))|;\s*/i);
  const systemOf = (c: string): string | undefined => EXAM_SYSTEMS.find(([, re]) => re.test(c))?.[0];
  const systems = clauses.map(systemOf);
  // Clauses split only when each names its own, different system; else the sentence is one finding.
  const split = clauses.length > 1 && systems.every(Boolean) && new Set(systems).size === systems.length;
  const parts = split ? clauses : [text];
  const out: string[] = [];
  for (const part of parts) {
    const finding = findingText(part);
    if (!finding) continue;
    const system = systemOf(part);
    out.push(system ? `• ${system}: ${finding}` : finding);
  }
  return out;
}
