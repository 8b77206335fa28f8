import { capitalise } from '@clinote/shared/note-style.js';
/**
 * Social history as clinicians write it ("Drinks alcohol once or twice a year.", "Patient reports
 * she enjoys hiking."): the patient's answers about tobacco, alcohol and drugs, and what they say
 * about work, home and pastimes, cut to the clause that says it. Every fact word is this
 * transcript's own; only phrasing words ("Patient reports", "Denies") are added.
 */
import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { answerPolarity, isQuestion, normaliseSentence, type PatientPronouns } from './normalise.js';
import { trimEndOf } from './text-scan.js';
import type { TranscriptSentence } from './transcript.js';

export interface SocialLine {
  text: string;
  spans: EvidenceSpan[];
}

// Substances asked about, with the note's name for their use ("Denies tobacco use.").
const SUBSTANCES: [RegExp, string][] = [
  [/\b(?:smok\w*|cigarettes?|tobacco|vap(?:e|es|ing))\b/, 'tobacco use'],
  [/\b(?:alcohol|drink (?:any )?(?:alcohol|beer|wine)|beers?|wine|drinker)\b/, 'alcohol use'],
  [/\b(?:recreational drugs|marijuana|drug use|street drugs)\b/, 'recreational drug use'],
];

// What a patient's life outside the illness sounds like: work, home, pastimes.
const LIFE =
  /\b(?:works? (?:as|at|in|for|from home)|working (?:as|at|in|from home)|my job|retired|lives? (?:with|alone)|living (?:with|alone)|married(?: for \w+ years)?|like(?:s)? to (?:go |do )?(?:hik|hunt|fish|travel|run|swim|bike|golf|garden|walk|play|dance|camp)\w*|love(?:s)? to (?:hik|hunt|fish|travel|run|swim|bike|golf|garden|walk|play|dance|camp)\w*|enjoy(?:s|ed)? \w+ing|hobby|hobbies|hik(?:e|es|ed|ing)|hunting|fishing|pottery|ceramics|gardening|travel(?:ed|led|ing)?|a trip|lion's club|club|marathons?|(?:go|went|been) (?:running|swimming|biking|camping)|play(?:s|ing)? (?:basketball|soccer|tennis|football|baseball|softball|volleyball|golf|pickleball)|golf(?:ing)?|gym|out in the (?:woods|yard)|in the yard|family (?:members )?(?:have|has) been supportive|supportive)\b/;

const LIFE_OR_HABIT = new RegExp(`${LIFE.source}|${SUBSTANCES.map(([re]) => re.source).join('|')}`);

// Not social history: readings, symptoms of the visit and the plan.
const NOT_SOCIAL = /\b(?:blood (?:pressure|sugars?)|heart rate|fever|we will|should|physical therapy|pain|hurts?|swelling|medications?|mg|x-ray|surgery)\b/;

// The clinician's lead-in before what they heard ("i know you said that", "i heard that").
const HEARD_LEAD = /^(?:.*?\b(?:i know|i heard|i see|i understand|you mentioned|you said)\b(?: that)?(?: you said)?(?: that)?\s*)/;
const MAX_WORDS = 18;

/** The clause of a sentence that holds the cue: split at commas and "and"/"but", cut to a short span. */
function cueClause(text: string, cue: RegExp): string | undefined {
  // Separators start only where a run of spaces does (split tries every position otherwise).
  const clauses = text.split(/(?!(?<=\s)\s)\s*,\s*|(?<!\s)\s+(?:but|so|because)\s+|(?<!\s)\s+and (?=i |we |my |you |he |she )/);
  const at = clauses.findIndex((c) => cue.test(c));
  if (at < 0) return undefined;
  // "i work as a programmer and i've been married for 25 years": neighbouring facts of the same kind go together.
  let end = at + 1;
  while (end < clauses.length && cue.test(clauses[end]!)) end++;
  const hit = clauses.slice(at, end).join(' and ');
  const words = hit.trim().split(/\s+/);
  if (words.length <= MAX_WORDS) return hit.trim();
  // A run-on turn: the words up to the cue and a few after it.
  const m = hit.match(cue)!;
  const before = hit.slice(0, m.index).trim().split(/\s+/).filter(Boolean);
  const after = hit.slice(m.index! + m[0].length).trim().split(/\s+/).filter(Boolean);
  return before.length > 6 ? undefined : [...before, m[0], ...after.slice(0, 6)].join(' ');
}

/**
 * Social history lines from the history-taking part of the visit (before the plan starts at
 * `planFrom`, a character offset), at most `limit`, each topic once.
 */
export function socialHistory(sentences: TranscriptSentence[], pronouns: PatientPronouns, planFrom = Infinity, limit = 3): SocialLine[] {
  const out: SocialLine[] = [];
  const topics = new Set<string>();
  for (const s of sentences) {
    if (out.length >= limit || s.start >= planFrom) break;
    const lower = s.text.toLowerCase();
    const answer = sentences[s.index + 1];
    // "do you smoke ?" + "no ." → "Denies tobacco use."; "do you drink ?" + "yeah , once or twice a year ." → "Drinks alcohol once or twice a year."
    const asked = SUBSTANCES.filter(([re]) => re.test(lower)).map(([, use]) => use).filter((use) => !topics.has(use));
    if (asked.length > 0 && s.speaker === 'doctor' && isQuestion(s.text) && answer && answer.speaker !== 'doctor') {
      const polarity = answerPolarity(answer.text);
      const span = { start: s.start, end: answer.end };
      // "do you drink any alcohol , smoke , or use recreational drugs ?" + "no ." denies all three.
      if (polarity === 'no') {
        asked.forEach((use) => topics.add(use));
        const named = asked.length > 1 ? `${asked.slice(0, -1).join(', ')} or ${asked.at(-1)}` : asked[0]!;
        out.push({ text: `Denies ${named}.`, spans: [span] });
        continue;
      }
      if (asked.length > 1) continue;
      const use = asked[0]!;
      const reply = answer.text.replace(/^\s*(?:yeah|yes|yep|sure|um|uh|oh|well)\b[\s,]*(?:(?:but|um|uh)\b[\s,]*)*/i, '');
      const detail = trimEndOf(normaliseSentence(reply, 'patient', pronouns), /[.?!]/).replace(/^Only\b/, 'only');
      const detailWords = detail.split(/\s+/).filter(Boolean);
      if (polarity === 'yes' || detailWords.length > 0) {
        topics.add(use);
        const said = detailWords.length > 0 && detailWords.length <= 12 ? ` ${detail.charAt(0).toLowerCase()}${detail.slice(1)}` : '';
        out.push({ text: use === 'alcohol use' ? `Drinks alcohol${said}.` : `Reports ${use}${said}.`, spans: [span] });
      }
      continue;
    }
    // The patient's own word on work, home, pastimes or habits ("i smoke about half a pack a day").
    const cue = s.speaker === 'doctor' ? LIFE : LIFE_OR_HABIT;
    if (!cue.test(lower) || NOT_SOCIAL.test(lower) || isQuestion(s.text)) continue;
    const heard = s.speaker === 'doctor' ? lower.replace(HEARD_LEAD, '') : lower;
    if (s.speaker === 'doctor' && heard === lower) continue;
    const clause = cueClause(heard, cue);
    if (!clause) continue;
    const key = clause.match(cue)![0].replace(/\W+/g, ' ');
    if (topics.has(key)) continue;
    const text = normaliseSentence(clause, s.speaker, pronouns).replace(/^(?:So|And|But|Well|Yeah|Now|Actually)\b[\s,]*/i, '');
    if (text.split(/\s+/).length < 3) continue;
    topics.add(key);
    const body = text.charAt(0).toLowerCase() + text.slice(1);
    // "He enjoys hiking." reads as the patient's report; "the patient" is already the subject.
    const reported = pronouns.subject !== 'the patient' && new RegExp(`^${pronouns.subject}\\b`, 'i').test(text) ? `Patient reports ${body}` : capitalise(text);
    out.push({ text: reported, spans: [{ start: s.start, end: s.end }] });
  }
  return out;
}
