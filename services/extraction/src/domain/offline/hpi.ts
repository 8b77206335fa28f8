import { capitalise } from '@clinote/shared/note-style.js';
/**
 * History-of-present-illness prose from spoken fragments: the clinician's conversational leads go
 * ("I know that he had ..." → "He had ..."), a symptom said without a clause becomes a report
 * ("Slight cramps." → "He reports slight cramps."), and a clause that is only a dangling "when ..."
 * is dropped. Rewrites only reorder and add phrasing words; every fact word is the sentence's own.
 */
import { findConcepts } from '@clinote/shared/clinical-lexicon/concepts.js';
import type { PatientPronouns } from './normalise.js';
import { followedOnLine, trimEndOf } from './text-scan.js';
import type { Speaker } from './transcript.js';

// Conversational leads of a clinician's summary that state nothing.
const LEADS =
  /^(?:(?:and|so|then|now|also|lastly|finally|okay)\b[,\s]*)*(?:i know (?:that )?(?=he |she |the patient |his |her )|i see (?:here )?(?:that )?|i understand (?:that )?|it sounds like |it looks like |i heard (?:that )?|i remember (?:that )?)/i;
// Words that make a clause: a subject or a finite verb.
const CLAUSE = /\b(?:i|he|she|they|it|this|that|there|we|you|who|patient|is|are|was|were|has|have|had|does|did|do|feels?|felt|gets?|got|hurts?|started|began|took|takes|notices?|noticed|reports?|denies|states?)\b/i;
// A dependent clause on its own ("Just when he is doing the projects.").
const DEPENDENT = /^(?:just |only |especially |like )?(?:when|whenever|if|because|while|since|until|unless|as|after|before)\b/i;
// Clinician remarks that are small talk, not history ("We just talked a lot about ...").
const SMALL_TALK = /\b(?:we(?:'ve| have)? (?:just |kinda |kind of |already )?(?:talked|spoke|discussed) (?:a lot )?about|nice to (?:see|meet)|how are you|thank you|good to see|let me (?:just )?(?:take a look|ask you))\b/i;

// A lead left alone once the small talk is cut ("I know that").
const BARE_LEAD = /^(?:(?:and|so|now|also)\s+)*(?:i know|i see|i understand|i think|i heard|i remember)(?: that)?$/i;
// How long a complaint has lasted, said as a fragment ("Probably since labor day, so about 5 weeks or so.").
const HEDGES = /^(?:(?:probably|maybe|perhaps|about|around|roughly|i think|i'd say|i guess|like)\b[,\s]*)*/i;
// As /\b(?:\d+|a|one|couple|few|several)\b.*\b(?:days?|…)\b|\b(?:yesterday|…)\b/i tests it, in one pass.
const COUNT_WORD = /\b(?:\d+|a|one|couple|few|several)\b/gi;
const TIME_UNIT = /\b(?:days?|weeks?|months?|years?|hours?)\b/gi;
const TIME_NAME = /\b(?:yesterday|today|last night|this morning|(?:mon|tues|wednes|thurs|fri|satur|sun)day|labor day|christmas|thanksgiving|easter|new year|summer|winter|spring|fall)\b/i;
const isTimeWord = (t: string): boolean => followedOnLine(t, COUNT_WORD, TIME_UNIT) || TIME_NAME.test(t);

/** "This has been going on since ..." for a duration said alone; undefined for anything else. */
function durationStatement(body: string): string | undefined {
  const t = body.replace(HEDGES, '').replace(/,\s*so\s+/gi, ', ').replace(/(?<!\s)\s+or so$/i, '').trim();
  if (!isTimeWord(t)) return undefined;
  if (/^(?:since|for)\b/i.test(t)) return `This has been going on ${t.charAt(0).toLowerCase()}${t.slice(1)}.`;
  if (/\bago$/i.test(t) && t.split(/\s+/).length <= 6) return `This started ${t.charAt(0).toLowerCase()}${t.slice(1)}.`;
  // "About 4 days now." → "This has been going on for 4 days."
  const span = t.match(/^((?:\d+|a|one|a couple of|a few|several) (?:days?|weeks?|months?|years?))(?: now)?$/i);
  if (span) return `This has been going on for ${span[1]!.toLowerCase()}.`;
  return undefined;
}

/** The patient's "we"/"our" (the household) as "they"/"their"; a sentence to the clinician keeps it. */
function householdVoice(text: string): string {
  if (/\byou\b/i.test(text)) return text;
  return text
    .replace(/\bwe're\b/gi, "they're")
    .replace(/\bwe've\b/gi, "they've")
    .replace(/\bwe'll\b/gi, "they'll")
    .replace(/\bwe\b/g, 'they')
    .replace(/\bWe\b/g, 'They')
    .replace(/\bour\b/g, 'their')
    .replace(/\bOur\b/g, 'Their')
    .replace(/\bus\b/g, 'them');
}

// A remark about how things have been that names nothing ("The last year, it's been a little chaotic.").
const VAGUE_REMARK =
  /^(?:(?:the last|this past|the past) \w+,? |lately,? |recently,? )?(?:it's|it has|it is|things have|things are|that's|that has) (?:been )?(?:a (?:little|bit) |kind of |kinda |pretty |very |really |so )*(?:chaotic|crazy|busy|hectic|rough|tough|hard|good|fine|okay|ok|great|stressful)\.?$/i;
// "how about your diet ?" / "are you watching your diet ?": the question's topic, said as "your ...".
const TOPIC_QUESTION = /\b(?:how about|what about|how is|how's|and) (?:your|the) ([a-z]+(?: [a-z]+)?) \?/i;
// "it's been a little bit of a struggle": an answer whose subject is the question's topic.
const IT_ANSWER = /^(?:(?:uh|um|well|oh|so|yeah|,)\s*)*(?:it's|it has|it is) (been )?/i;

/**
 * A patient's "it" answer to a topic question as a statement about the topic: "how about your diet ?"
 * + "uh , it's been a little bit of a struggle ." → "His diet has been a little bit of a struggle."
 * Undefined when the question names no topic or the answer does not open with "it".
 */
export function topicAnswer(question: string, answer: string, pronouns: PatientPronouns): string | undefined {
  const topic = question.toLowerCase().match(TOPIC_QUESTION)?.[1];
  const lower = answer.toLowerCase().trim();
  const lead = lower.match(IT_ANSWER);
  if (!topic || !lead || /\b(?:you|i|we)\b/.test(topic)) return undefined;
  const rest = trimEndOf(lower.slice(lead[0].length).replace(/(?<!\s)\s+([,.?!])/g, '$1'), /[\s,.?!]/);
  if (rest.split(/\s+/).length < 2 || /\b(?:i|we|you)\b/.test(rest)) return undefined;
  const verb = lead[1] ? 'has been' : 'is';
  return `${capitalise(pronouns.possessive)} ${topic} ${verb} ${rest}.`;
}

/**
 * One HPI statement as note prose, or undefined when it is small talk or a fragment that states
 * nothing on its own. `text` is already normalised (third person, digits, punctuation).
 */
export function hpiStatement(text: string, pronouns: PatientPronouns, speaker?: Speaker): string | undefined {
  let t = speaker === 'patient' ? householdVoice(text.trim()) : text.trim();
  // A greeting ("Hi wayne how're he today.") is not history.
  if (/^(?:hi|hello|hey|good (?:morning|afternoon|evening))\b/i.test(t) && t.split(/\s+/).length <= 6) return undefined;
  // A bare answer ("No not that he can recall.") says nothing without the question it answers.
  if (speaker === 'patient' && /^(?:no|nope|yes|yeah|yep)\b/i.test(t) && t.split(/\s+/).length <= 8) return undefined;
  // A clinician's question that lost its question mark ("Then does the pain radiate down his arm.").
  if (speaker === 'doctor' && /\b(?:do|does|did|can|could|have|are)\s+(?:the patient|he|she|you|the pain)\b/i.test(t) && !/^(?:the patient|he|she)\b/i.test(t)) return undefined;
  // The plan's structure ("For his third problem, his hypertension.") is not history.
  if (/^(?:\w+ )?for (?:his|her|the patient's|the|your) (?:\w+ )?problem\b/i.test(t)) return undefined;
  const talk = t.match(SMALL_TALK);
  if (talk) {
    // Small talk after a finding ("A little dizziness and we just talked about ...") goes alone.
    const kept = t.slice(0, talk.index).replace(/(?:,|\band|\bbut|\bso)\s*$/i, '').trim();
    if (kept.split(/\s+/).length < 2 || BARE_LEAD.test(kept)) return undefined;
    t = `${kept}.`;
  }
  if (VAGUE_REMARK.test(t.trim())) return undefined;
  const lead = t.match(LEADS);
  if (lead && lead[0].length < t.length) t = capitalise(t.slice(lead[0].length).trim());
  // Fillers of speech: "he is just so tired" → "he is so tired".
  t = t.replace(/\b(he|she|the patient)( is| was| has)? just\b/gi, '$1$2');
  const body = trimEndOf(t, /[.?!]/);
  const words = body.split(/\s+/).filter(Boolean);
  if (!CLAUSE.test(body)) {
    const duration = durationStatement(body);
    if (duration) return duration;
  }
  if (DEPENDENT.test(body) && words.length <= 8) return undefined;
  if (CLAUSE.test(body)) return t;
  // A symptom said alone: the patient reports it.
  const symptom = findConcepts(body).some((c) => c.category === 'finding' || c.category === 'problem');
  if (symptom && words.length <= 8) return `${capitalise(pronouns.subject)} reports ${body.charAt(0).toLowerCase()}${body.slice(1)}.`;
  return words.length <= 3 ? undefined : t;
}
