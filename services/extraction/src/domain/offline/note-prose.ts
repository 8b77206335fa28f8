import { capitalise, REPETITION, sentenceDefects } from '@clinote/shared/note-style.js';
import { agreeVerbs, secondPerson, type PatientPronouns } from './normalise.js';

// A label a line opens with ("• Medical Reasoning: ", "Blood Pressure: "): layout, kept as it is.
const LINE_LABEL = /^(?:[•*-]\s*)?[A-Z][A-Za-z /]{1,40}:\s*/;
// Sentences of one statement, as note-style splits them (titles and initials end none).
const SENTENCE_BREAK = /(?<=[.?!])(?<!\b(?:Mr|Mrs|Ms|Dr|St|[A-Z])\.)\s+(?=[A-Z0-9"(])/;
// note-style's OPENER, FILLER and BROKEN_WORD with what they take along (the ReDoS check folds only literals
// of the same file; note-prose.test.ts checks that these find what note-style counts).
const OPENERS = /^(?:(?:so|and|but|well|okay|ok|now|yeah|yes|oh|alright|um|uh|like|then)\b[,\s]*)+/i;
const FILLERS = /(,\s*)?\b(?:um+|uh+|uh-huh|mm-hmm|mhm|hmm+|kinda|sorta|gonna|wanna|okay|ok|yeah|yep|yup|nope|sorry|you know|i mean|alright)\b\s*(,?)/gi;
const BROKEN_WORDS = /\b[a-z]+-(?=[\s,.;]|$)(?!\s+(?:to|or|and|through)\b),?\s*/gi;
const MIN_WORDS = 3;
// Conversation that states nothing: greetings, thanks, acknowledgements, addresses ("Afternoon, ma'am.", "I see.", "Got it.").
const SMALL_TALK =
  /^(?:(?:good |and )?(?:morning|afternoon|evening)|hello|hi|hey|thanks?|thank (?:you|she|he|the patient)|i see|got it|sure|absolutely|of course|great|perfect|excellent|wonderful|no problem|welcome|nice to meet you|let me (?:take a look|check|see)|look (?:right )?here|that is (?:right|correct|good to know|it|all)|that's (?:right|it)|right|correct|ma'am|sir|miss|doctor|doc|dear|[,.!\s])+$/i;
// Hedges and intensifiers of speech that a note leaves out ("just", "really", "actually", "gon na").
const HEDGES = /\b(?:just|really|actually|basically|definitely|certainly|pretty much|kind of|sort of)\s+/gi;
const SPOKEN_FORMS: [RegExp, string][] = [
  [/\bgon\s?na\b/gi, 'going to'],
  [/\bwan\s?na\b/gi, 'want to'],
  [/\bgot\s?ta\b/gi, 'have to'],
];
// Notes spell contractions out ("does not", "it is"); transcripts split them ("does n't", "it 's").
const NEGATED_CONTRACTION = /\b(ca|wo|sha|[a-z]+)\s?n't\b/gi;
const NEGATED_FULL: Record<string, string> = { ca: 'can', wo: 'will', sha: 'shall' };
const PRONOUN_IS = /\b(it|there|that|he|she|what|here)\s?'s\b(\s+(?:been|got|had)\b)?/gi;
const PRONOUN_OTHER = /\b(i|you|we|they|he|she|it|there|that)\s?'(re|ve|ll|m)\b/gi;
const CONTRACTED: Record<string, string> = { re: 'are', ve: 'have', ll: 'will', m: 'am' };

/** Contractions spelt out: "does n't" → "does not", "it 's been" → "it has been", "they 're" → "they are". */
export function withoutContractions(text: string): string {
  return text
    .replace(NEGATED_CONTRACTION, (_all, verb: string) => `${NEGATED_FULL[verb.toLowerCase()] ?? verb} not`.replace(/^can not$/i, 'cannot'))
    .replace(PRONOUN_IS, (_all, pronoun: string, after: string | undefined) => `${pronoun} ${after ? 'has' : 'is'}${after ?? ''}`)
    .replace(PRONOUN_OTHER, (_all, pronoun: string, tail: string) => `${pronoun} ${CONTRACTED[tail.toLowerCase()]}`);
}

/**
 * One sentence of spoken origin as a note writes it: openers ("So, ", "And then"), fillers and
 * broken-off words ("mo- 2" → "2") out, a repeated word once. What remains is checked as a note
 * sentence; undefined when it still reads as speech (second person, a question, a fragment, a label
 * inside it) or repeats a sentence of the note already written, so that the caller leaves it out.
 */
export function asNoteSentence(sentence: string, seen?: Set<string>, pronouns?: PatientPronouns): string | undefined {
  if (SMALL_TALK.test(sentence.trim())) return undefined;
  let t = SPOKEN_FORMS.reduce((x, [re, full]) => x.replace(re, full), withoutContractions(sentence))
    .replace(HEDGES, '')
    .replace(OPENERS, '')
    // A filler between two commas leaves one comma, beside one it takes that comma along.
    .replace(FILLERS, (_all, before: string | undefined, after: string) => (before !== undefined && after ? ', ' : ' '))
    // A hyphen left at the sentence's end ("nausea or vomiting-.") closes nothing.
    .replace(/(?<=[a-z])-(?=[.?!]$)/i, '')
    .replace(BROKEN_WORDS, '')
    .replace(REPETITION, '$1')
    .replace(/(?<!\s)\s+([,.?!;:])/g, '$1')
    .replace(/,(?:\s*,)+/g, ',')
    .replace(/^[\s,;:.-]+/, '')
    .replace(/,\s*([.?!])$/, '$1')
    .replace(/\s{2,}/g, ' ')
    .trim();
  if (t.split(' ').length < MIN_WORDS && t.split(' ').length < sentence.trim().split(/\s+/).length) return undefined;
  // The clinician's "your lungs are clear" is the patient's: third person, as every other sentence.
  if (pronouns && /\byou/i.test(t)) t = agreeVerbs(secondPerson(t.replace(/^You/, 'you'), pronouns));
  t = capitalise(t);
  if (!/[.?!]$/.test(t)) t += '.';
  return sentenceDefects(t, seen).length === 0 ? t : undefined;
}

/**
 * A statement in note style, sentence by sentence (see asNoteSentence); its line label stays. The
 * empty string when nothing of it reads as a note. A label or heading with nothing after it is left
 * to the caller.
 */
export function inNoteStyle(text: string, seen?: Set<string>, pronouns?: PatientPronouns): string {
  const label = text.match(LINE_LABEL)?.[0] ?? '';
  const body = text.slice(label.length).trim();
  if (!body) return text;
  const kept = body.split(SENTENCE_BREAK).flatMap((s) => asNoteSentence(s, seen, pronouns) ?? []);
  return kept.length === 0 ? '' : `${label}${kept.join(' ')}`;
}
