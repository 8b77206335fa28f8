/**
 * Instructions as clinicians close a note: when the patient comes back ("The patient will follow up
 * with me in 2 weeks.") and when to call ("The patient was instructed to call me if she gains 3
 * pounds in 2 days."). Only the time frame and the condition come from this transcript; the rest is
 * the note's fixed phrasing.
 */
import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { digitiseNumbers } from './numbers.js';
import { normaliseSentence, type PatientPronouns } from './normalise.js';
import { leadThenMarker, trimEndOf } from './text-scan.js';
import type { TranscriptSentence } from './transcript.js';

export interface InstructionLine {
  text: string;
  spans: EvidenceSpan[];
}

const RETURN = /\b(?:see (?:you|him|her|them)|follow(?:[- ]up| up)|come back|come in|check ?-?up|recheck|return|back in|get you back|bring you back|appointment)\b/;
const COUNT = '(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of|a few|couple of|few|\\d+)';
const TIME_FRAME = new RegExp(`\\b(?:in|within) (?:about |another |around |roughly |maybe )?(${COUNT}(?: (?:to|or) ${COUNT})? (?:days?|weeks?|months?|years?))\\b`);
const NEXT_VISIT = /\b(?:see (?:you|him|her) (?:at (?:your|the) )?next (?:visit|time|appointment)|at your next (?:visit|appointment)|next scheduled)\b/;
const AS_NEEDED = /\bfollow(?:[- ]up| up) (?:with me )?(?:\.\.\. )?(?:follow up with me )?as needed\b/;
// "call me if you gain three pounds in two days", "call the office if you have any ...": what
// /\b(?:call|contact|message) (?:me|the office|us|the clinic)\b[^.?!]*?\b(?:if|with)\b[^.?!]*/ finds, in one pass.
const CALL_LEAD = /\b(?:call|contact|message) (?:me|the office|us|the clinic)\b/g;
const CALL_CONDITION = /\b(?:if|with)\b/g;
const IN_SENTENCE = /[^.?!]/;
const MAX_CALL_WORDS = 14;
const SMALL_NUMBERS: Record<string, string> = { one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10', eleven: '11', twelve: '12' };

/** "one to two weeks" → "1 to 2 weeks"; "a couple of weeks" stays as said. */
function timeFrame(said: string): string {
  return digitiseNumbers(said.replace(/^(couple|few)\b/, 'a $1').replace(/\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b/g, (w) => SMALL_NUMBERS[w]!));
}

/** The condition of a "call me if ..." instruction, cut where the next instruction or topic starts. */
function callClause(text: string): string | undefined {
  const found = leadThenMarker(text, CALL_LEAD, IN_SENTENCE, CALL_CONDITION);
  if (!found) return undefined;
  const after = found.at + found.marker[0].length;
  const stop = text.slice(after).search(/[.?!]/);
  const call = text.slice(found.lead.index, stop < 0 ? text.length : after + stop);
  // Separators start only where a run of spaces does (split matches every position otherwise).
  const clause = call.split(/(?!(?<=\s)\s)\s*,\s*|(?<!\s)\s+(?:(?:and|but|so) (?=i |we |you |continue|take|i'm)|for the\b|i want\b|continue\b)/)[0]!.trim();
  const words = clause.split(/\s+/);
  return words.length > MAX_CALL_WORDS || words.length < 4 ? undefined : clause;
}

/**
 * Follow-up and call-back instructions the clinician gave in the closing part of the visit (from
 * character offset `from`), the follow-up first.
 */
export function visitInstructions(sentences: TranscriptSentence[], pronouns: PatientPronouns, from = 0): InstructionLine[] {
  let followUp: InstructionLine | undefined;
  let call: InstructionLine | undefined;
  for (const s of sentences) {
    if (s.speaker !== 'doctor' || s.end <= from) continue;
    const t = s.text.toLowerCase();
    const span = { start: s.start, end: s.end };
    const frame = RETURN.test(t) ? t.match(TIME_FRAME) : null;
    // The last time frame said wins: the visit closes with the follow-up.
    if (frame) followUp = { text: `The patient will follow up with me in ${timeFrame(frame[1]!)}.`, spans: [span] };
    else if (!followUp && NEXT_VISIT.test(t)) followUp = { text: 'The patient will follow up at the next visit.', spans: [span] };
    else if (!followUp && AS_NEEDED.test(t)) followUp = { text: 'Follow up as needed.', spans: [span] };
    const clause = call ? undefined : callClause(t);
    if (clause) {
      const said = trimEndOf(normaliseSentence(clause, 'doctor', pronouns), /[.?!]/);
      call = { text: `The patient was instructed to ${said.charAt(0).toLowerCase()}${said.slice(1)}.`, spans: [span] };
    }
  }
  return [followUp, call].filter((l): l is InstructionLine => l !== undefined);
}
