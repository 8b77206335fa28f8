import { capitalise } from '@clinote/shared/note-style.js';
import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { digitiseNumbers } from './numbers.js';
import { lastLineStart, leadThenMarker } from './text-scan.js';
import type { PatientPronouns } from './normalise.js';
import type { TranscriptSentence } from './transcript.js';

/** A short phrase with the transcript span it was read from. */
export interface GroundedPhrase {
  text: string;
  spans: EvidenceSpan[];
}

// "who presents today for follow-up of his chronic problems", "here for right knee pain",
// "i see you're coming in for some right knee pain".
const REASON =
  /\b(?:presents|present today|(?:is|are|'re|'s|am|male|female|man|woman|gentleman|lady) here|coming in|comes? in|came in(?: to see (?:us|me))?|(?:is|'re|'s) in today|being seen|referred(?: by (?:dr\.? )?[a-z]+(?: [a-z]+)?)?|sent (?:you|him|her)(?: over| in)?)\s+(?:today(?:\s*,)?\s*)?(?:,\s*uh\s*,\s*)?(?:for|with)\s+([a-z][^,.?;]*)/;
// Weaker cues, tried when none of the above is said: "a 52-year-old male with ...", "the assistant told me that you have ...".
const WEAK_REASON = /\b(?:year[ -]old (?:male|female|man|woman|gentleman|lady) with|told me (?:that )?you (?:have|had)|i see (?:that )?you (?:have|had))\s+([a-z][^,.?;]*)/;
const REASON_CONTEXT = /\b(?:year[ -]old|presents?|you're|you are|he's|she's|he is|she is|i see|i understand|patient|referred|sent you|told me|you came|you've come|you come)\b/;
// "i see that you injured your wrist" → "Wrist injury."
const INJURY = /\b(?:i see|i understand|i hear|told me) (?:that )?you (?:injured|hurt) (?:your|his|her) ((?:left |right )?[a-z]+)/;
// Also a word the speaker broke off ("dia- newly diagnosed ...").
const REASON_LEAD = /^(?:an?|some|his|her|their|your|the|a|that|this|[a-z]+-)\s+|^(?:complaints? of|evaluation of|evaluation for|a chief complaint of)\s+(?:an?\s+|some\s+|his\s+|her\s+)?/;
const REASON_STOP = /(?<!\s)\s+(?:and (?:she|he|i|we|you)|who|which|that|so|but|today|as well|uh|um|can you|could you|tell me|is that|what's|on (?:your|his|her) (?:left|right))\b[^]*$/;
const NOT_A_REASON = /^(?:a second|the|that|this|it|a bit|you|me|him|her|now|what)$|\b(?:surgery|stay|procedure)$|^(?:a )?(?:history|past medical history) of\b/;

const BODY_PAIN =
  /\b((?:left|right|lower|upper)\s+)?(knee|shoulder|hip|back|neck|wrist|ankle|elbow|hand|foot|finger|thumb|toe|arm|leg|chest|abdominal|stomach|belly|head|ear|throat|heel)\s+(?:is\s+|has been\s+)?(pain|hurting|hurts|injury|swelling)\b/;
const SYMPTOMS =
  /\b(shortness of breath|chest pain|abdominal pain|back pain|headaches?|dizziness|fatigue|cough|rash|numbness|tingling|fever|diarrhea|constipation|nausea|vomiting|palpitations|swelling|anxiety|depression|heartburn|trouble swallowing|difficulty swallowing|weight loss|weight gain)\b/;

function phrase(text: string): string {
  const t = digitiseNumbers(text.trim()).replace(/\s+/g, ' ');
  return `${capitalise(t)}.`;
}

/**
 * The reason the clinician dictates ("who presents today for X", "you're here for X"); with `weak`,
 * the weaker cues ("a 52-year-old male with X", "you injured your wrist").
 */
function statedReason(s: TranscriptSentence, weak = false): GroundedPhrase | undefined {
  const lower = s.text.toLowerCase();
  if (s.speaker !== 'doctor' || !REASON_CONTEXT.test(lower)) return undefined;
  const injury = weak ? lower.match(INJURY) : null;
  if (injury && injury.index !== undefined) {
    const at = injury.index + injury[0].length - injury[1]!.length;
    return { text: phrase(`${injury[1]} injury`), spans: [{ start: s.start + injury.index, end: s.start + at + injury[1]!.length }] };
  }
  const m = lower.match(weak ? WEAK_REASON : REASON);
  if (!m || m.index === undefined) return undefined;
  let reason = m[1]!;
  let offset = m.index + m[0].length - reason.length;
  for (let k = 0; k < 3; k++) {
    const lead = reason.match(REASON_LEAD)?.[0];
    if (!lead) break;
    reason = reason.slice(lead.length);
    offset += lead.length;
  }
  // REASON_STOP ends in `[^]*$` for `.*$`: tried from the last line only, it cannot span a line break.
  const lastLine = lastLineStart(reason);
  const spoken = `${reason.slice(0, lastLine)}${reason.slice(lastLine).replace(REASON_STOP, '')}`.trim();
  reason = spoken.replace(/(?<!\s)\s+(?:his|her|their|your)\s+/g, ' ');
  if (!reason || reason.split(/\s+/).length > 10 || NOT_A_REASON.test(reason)) return undefined;
  return { text: phrase(reason), spans: [{ start: s.start + offset, end: s.start + offset + spoken.length }] };
}

// "it's not the right knee it's the left knee".
const SIDE_CORRECTION = /\bnot (?:the |my |on the )?(left|right)\b.*\b(left|right)\b/;

/** The reason with the side the patient corrects it to, the correction joining its evidence. */
function corrected(reason: GroundedPhrase, next: TranscriptSentence[]): GroundedPhrase {
  const side = reason.text.toLowerCase().match(/^(left|right)\b/)?.[1];
  const answer = next.find((a) => a.speaker === 'patient');
  const m = side && answer ? answer.text.toLowerCase().match(SIDE_CORRECTION) : null;
  if (!m || !answer || m[1] !== side || m[2] === side) return reason;
  return { text: `${capitalise(m[2]!)}${reason.text.slice(side!.length)}`, spans: [...reason.spans, { start: answer.start, end: answer.end }] };
}

/** The complaint in the patient's answer to "what brings you in". */
function answeredReason(q: TranscriptSentence, answers: TranscriptSentence[]): GroundedPhrase | undefined {
  if (q.speaker !== 'doctor' || !/\b(?:brings? you in|brought you in|what's going on|reason for (?:your|the) visit|what can i do for you|how can i help)\b/.test(q.text.toLowerCase())) return undefined;
  for (const a of answers) {
    const lower = a.text.toLowerCase();
    const pain = lower.match(BODY_PAIN);
    if (pain && pain.index !== undefined) {
      const site = `${pain[1] ?? ''}${pain[2]}`.replace(/belly|stomach/, 'abdominal');
      const what = /pain|hurt/.test(pain[3]!) ? 'pain' : pain[3]!;
      return { text: phrase(`${site} ${what}`), spans: [{ start: a.start + pain.index, end: a.start + pain.index + pain[0].length }] };
    }
    const symptom = lower.match(SYMPTOMS);
    if (symptom && symptom.index !== undefined)
      return { text: phrase(symptom[1]!), spans: [{ start: a.start + symptom.index, end: a.start + symptom.index + symptom[0].length }] };
  }
  return undefined;
}

/**
 * The chief complaint in a few words, grounded in the span it came from: the reason the clinician
 * dictates, else the complaint in the patient's answer to "what brings you in", else the first
 * problem the clinician assessed.
 */
export function chiefComplaint(sentences: TranscriptSentence[], firstProblem?: GroundedPhrase): GroundedPhrase | undefined {
  for (const weak of [false, true])
    for (const s of sentences) {
      const r = statedReason(s, weak);
      if (r) return corrected(r, sentences.slice(s.index + 1, s.index + 3));
    }
  for (let i = 0; i < sentences.length; i++) {
    const answers = sentences.slice(i + 1, i + 4).filter((a) => a.speaker !== 'doctor' && a.turn <= (sentences[i + 1]?.turn ?? 0) + 1);
    const r = answeredReason(sentences[i]!, answers);
    if (r) return r;
  }
  return firstProblem;
}

// "brian is a 58 year old male", "she's a 41-year-old female": /\b(?:is|he's|she's) an? [a-z0-9 -]+?[ -]year[ -]old\b/
// as a lead, the age words and a marker, scanned once (as one regex it rescans the age words from every lead).
const OPENER_LEAD = /\b(?:is|he's|she's) an? /g;
const AGE_WORD = /[a-z0-9 -]/;
const YEAR_OLD = /[ -]year[ -]old\b/g;
const YEARS_OLD = /[ -]years?[ -]old\b/g;

/** The clinician's dictated one-line summary ("Brian is a 58 year old male ... who presents ..."), if any. */
export function dictatedOpener(sentences: TranscriptSentence[]): TranscriptSentence | undefined {
  return sentences.find(
    (s) => s.speaker === 'doctor' && leadThenMarker(s.text.toLowerCase(), OPENER_LEAD, AGE_WORD, YEAR_OLD, 1) !== undefined && /\b(?:presents?|here for|history)\b/.test(s.text.toLowerCase()),
  );
}

// The age words start at the first word of their run of [a-z0-9 -] (the lookbehind), so the run is scanned once.
const AGE = /\b(?<=(?:^|[^a-z0-9 -])[ -]*)([a-z0-9 -]+?)[ -]years?[ -]old\b/;
// "<name> is a <age> year old", as /\b(?:(mr|mrs|ms|miss|mister)(?:\s*\.)?\s+)?([a-z]+) is an? [a-z0-9 -]+?[ -]years?[ -]old\b/ finds it.
const NAME_LEAD = /\b(?:(mr|mrs|ms|miss|mister)(?:\s*\.)?\s+)?([a-z]+) is an? /g;
const GREETING = /^(?:hi|hello|hey|good morning|good afternoon|good evening)(?:\s*,)?\s+(?:there\s+)?((?:(?:mr|mrs|ms|miss|mister)(?:\s*\.)?\s*)?[a-z]+)\b/;
const TITLE: Record<string, string> = { mr: 'Mr.', mister: 'Mr.', mrs: 'Mrs.', ms: 'Ms.', miss: 'Miss' };
const NOT_A_NAME = /^(?:there|doctor|dr|how|nice|good|i|it|so|um|uh|okay|everybody|guys|sir|maam|ma'am|again|thanks|thank|you)$/;

/**
 * "<Name> is a <age>-year-old <sex> who presents for <reason>." composed only from this transcript:
 * the name the clinician greets the patient by, the age said as "<n> year old", the patient's sex as
 * the transcript speaks of them, and the chief complaint. A part that is not said is left out
 * ("Wayne is a male who presents for ..."); undefined without a reason, or with neither name nor age.
 */
export function composedOpener(sentences: TranscriptSentence[], pronouns: PatientPronouns, reason: GroundedPhrase | undefined): GroundedPhrase | undefined {
  if (!reason) return undefined;
  let age: { value: string; span: EvidenceSpan } | undefined;
  for (const s of sentences) {
    const m = s.text.toLowerCase().match(AGE);
    if (!m || m.index === undefined) continue;
    const words = m[1]!.split(/\s+/).slice(-3);
    const value = digitiseNumbers(words.join(' ')).match(/(\d{1,3})$/)?.[1];
    if (value && Number(value) > 0 && Number(value) < 120) {
      age = { value, span: { start: s.start + m.index, end: s.start + m.index + m[0].length } };
      break;
    }
  }
  let name: { value: string; span: EvidenceSpan } | undefined;
  // The name the clinician dictates before the age, else the one they greet the patient by.
  for (const s of sentences) {
    const found = s.speaker === 'doctor' ? leadThenMarker(s.text.toLowerCase(), NAME_LEAD, AGE_WORD, YEARS_OLD, 1) : undefined;
    const m = found?.lead;
    if (!m || NOT_A_NAME.test(m[2]!) || /^(?:he|she|patient|who|this|that|it|and|so)$/.test(m[2]!)) continue;
    const surname = capitalise(m[2]!);
    const length = m[0].indexOf(m[2]!) + m[2]!.length;
    name = { value: m[1] ? `${TITLE[m[1]]} ${surname}` : surname, span: { start: s.start + m.index, end: s.start + m.index + length } };
    break;
  }
  for (const s of name ? [] : sentences.slice(0, 6)) {
    const m = s.speaker === 'doctor' ? s.text.toLowerCase().match(GREETING) : null;
    const said = m?.[1]?.match(/^(?:(mr|mrs|ms|miss|mister)(?:\s*\.)?\s*)?([a-z]+)$/);
    if (m && m.index !== undefined && said && !NOT_A_NAME.test(said[2]!) && !TITLE[said[2]!]) {
      const at = s.text.toLowerCase().indexOf(m[1]!, m.index);
      const surname = capitalise(said[2]!);
      name = { value: said[1] ? `${TITLE[said[1]]} ${surname}` : surname, span: { start: s.start + at, end: s.start + at + m[1]!.length } };
      break;
    }
  }
  if (!name && !age) return undefined;
  const sex = pronouns.subject === 'he' ? 'male' : pronouns.subject === 'she' ? 'female' : undefined;
  const why = reason.text.replace(/\.$/, '');
  const who = [age && `${age.value}-year-old`, sex].filter(Boolean).join(' ');
  const text = `${name?.value ?? 'The patient'} ${who ? `is a${/^[8]|^1[18]-/.test(who) ? 'n' : ''} ${who} who presents` : 'presents'} for ${why.charAt(0).toLowerCase()}${why.slice(1)}.`;
  return { text, spans: [...(name ? [name.span] : []), ...(age ? [age.span] : []), ...reason.spans] };
}
