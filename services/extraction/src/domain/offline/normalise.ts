import { capitalise } from '@clinote/shared/note-style.js';
import { digitiseNumbers } from './numbers.js';
import { lastRunOf, trailingRunOf, trimEndOf } from './text-scan.js';
import type { Speaker } from './transcript.js';

/** Third-person pronouns for the patient, picked from how the transcript talks about them. */
export interface PatientPronouns {
  subject: string;
  object: string;
  possessive: string;
}

const SHE: PatientPronouns = { subject: 'she', object: 'her', possessive: 'her' };
const HE: PatientPronouns = { subject: 'he', object: 'him', possessive: 'his' };
const THEY: PatientPronouns = { subject: 'the patient', object: 'the patient', possessive: "the patient's" };

export function patientPronouns(transcript: string): PatientPronouns {
  const t = transcript.toLowerCase();
  // A dictated "<age> year old male" or a title settles it; pronoun counts are the fallback.
  const stated = t.match(/\byear[ -]old (male|man|gentleman|boy|female|woman|lady|girl)\b/)?.[1];
  if (stated) return /^(male|man|gentleman|boy)$/.test(stated) ? HE : SHE;
  const count = (re: RegExp): number => t.match(re)?.length ?? 0;
  const titles = count(/\b(mrs|ms|miss)\b/g) - count(/\b(mr|mister)\b/g);
  if (titles !== 0) return titles > 0 ? SHE : HE;
  const female = count(/\b(she|her|hers|female|woman|lady|mrs|ms|miss)\b/g);
  const male = count(/\b(he|him|his|male|man|gentleman|mr)\b/g);
  if (female > male * 1.5 && female >= 2) return SHE;
  if (male > female * 1.5 && male >= 2) return HE;
  return THEY;
}

// Discourse fillers that never carry clinical content.
const FILLERS = [
  /\b(?:um+|uh+|uh-huh|mm-hmm|mhm|hmm+|ah|er)\b[,.]?/gi,
  /\b(?:you know|i mean|kind of|sort of|you see)\b,?/gi,
  /\b(?:okay|ok|alright|all right)\b[,.]?/gi,
  /^\s*(?:so|well|and|but|yeah|yes|oh|now|great|good|perfect|wow)\b[, ]*/i,
];

function firstPerson(text: string, p: PatientPronouns): string {
  const s = p.subject;
  return text
    .replace(/\bi'm\b|\bi am\b/g, `${s} is`)
    .replace(/\bi've\b/g, `${s} has`)
    .replace(/\bi have\b/g, `${s} has`)
    .replace(/\bi'd\b/g, `${s} would`)
    .replace(/\bi'll\b/g, `${s} will`)
    .replace(/\bi was\b/g, `${s} was`)
    .replace(/\bi\b/g, s)
    .replace(/\bmy\b/g, p.possessive)
    .replace(/\bmyself\b/g, p.object === 'her' ? 'herself' : p.object === 'him' ? 'himself' : 'themselves')
    .replace(/\bme\b/g, p.object);
}

/** The patient addressed as "you" rewritten in the third person ("your lungs are clear" → "her lungs are clear"). */
export function secondPerson(text: string, p: PatientPronouns): string {
  const s = p.subject;
  return text
    .replace(/\byou're\b|\byou are\b/g, `${s} is`)
    .replace(/\byou've\b|\byou have\b/g, `${s} has`)
    .replace(/\byou'd\b/g, `${s} would`)
    .replace(/\byou'll\b/g, `${s} will`)
    .replace(/\byou were\b/g, `${s} was`)
    .replace(/\byour\b/g, p.possessive)
    .replace(/\byourself\b/g, p.object === 'her' ? 'herself' : p.object === 'him' ? 'himself' : 'themselves')
    .replace(/\b(to|for|with|give|tell|told|see|send|call|let|have|make|get|help|at|on|about|want|need|ask|asked|advise|advised|encourage|encouraged|remind|instruct|instructed|show|check|examine|refer|put|keep|start|place|schedule|prescribe|order|bring|take|walk) you\b/g, `$1 ${p.object}`)
    .replace(/\byou\b/g, s);
}

/**
 * Rewrites one transcript sentence as note prose: fillers and stutters out, the patient in the
 * third person, spoken numbers as digits, note punctuation. Never adds facts: every content word
 * comes from the sentence itself.
 */
// A tag asking for assent ("..., okay ?") makes a statement sound like a question; it is one only in form.
const TAG_QUESTION = /,\s*(?:okay|ok|right|alright|all right)\s*\?\s*$/i;

export function normaliseSentence(text: string, speaker: Speaker, pronouns: PatientPronouns): string {
  let t = ` ${text.toLowerCase().replace(TAG_QUESTION, ' .')} `;
  // Each pass runs again only while it still changes something (the same result, fewer scans).
  for (let k = 0; k < 2; k++) {
    const before = t;
    for (const re of FILLERS) t = t.replace(re, ' ');
    if (t === before) break;
  }
  // Stutters: "i , i" / "the the" / "he was he was".
  for (let k = 0; k < 3; k++) {
    const before = t;
    t = t.replace(/\b(\w+(?:'\w+)? \w+(?:'\w+)?)( ,)? \1\b/g, '$1');
    t = t.replace(/\b(\w+(?:'\w+)?)( ,)? \1\b/g, '$1');
    // Broken off and restarted: "he-he love", "she- she has".
    t = t.replace(/\b(\w+)-\s*\1\b/g, '$1');
    if (t === before) break;
  }
  t = t.replace(/\s+/g, ' ');
  if (speaker === 'doctor') t = planPhrasing(t);
  t = speaker === 'doctor' ? secondPerson(t, pronouns) : firstPerson(t, pronouns);
  t = agreeVerbs(t);
  t = digitiseNumbers(t.trim());
  t = t
    // A lookbehind starts each run once: a run is not rescanned from every character in it.
    .replace(/(?<!\s)\s+([,.?!;:%])/g, '$1')
    .replace(/(?<!,),+\s*([?.!])/g, '$1')
    .replace(/\b(\d+)[ -]year[ -]old\b/g, '$1-year-old')
    // Dosing as notes write it: "80 mg once a day" → "80 mg daily".
    .replace(/\b(\d+(?:\.\d+)? ?(?:mg|units?|mcg)|times|twice) (?:once )?(?:a|per|each|every) day\b/g, '$1 daily')
    .replace(/\b(\d+(?:\.\d+)? ?(?:mg|units?|mcg)) once daily\b/g, '$1 daily')
    .replace(/([,.?!])(?:\s*[,.])+/g, '$1')
    .replace(/^[,.\s-]+/, '');
  t = trimEndOf(t, /[-\s,]/)
    .replace(/\s+/g, ' ')
    .trim();
  t = withoutDanglingClause(t, /(?:\.\.\.|…|-)\s*$/.test(text.trim()));
  // A title's name is a proper noun: "ms. thompson" → "ms. Thompson".
  t = t.replace(/\bi\b(?!\.)/g, 'I');
  t = t.replace(/\b(mr|mrs|ms|dr)\. ([a-z])/g, (_all, title: string, c: string) => `${title}. ${c.toUpperCase()}`);
  t = withProperNouns(t);
  if (!t) return '';
  if (!/[.?!]$/.test(t)) t += '.';
  return capitalise(t);
}

// Holidays, weekdays and months a note capitalises; "may", "march" and "fall" are left alone (ordinary words too).
const PROPER_NOUNS =
  /\b(?:labor day|memorial day|independence day|fourth of july|new year's(?: eve| day)?|christmas(?: eve)?|thanksgiving|easter|halloween|hanukkah|(?:mon|tues|wednes|thurs|fri|satur|sun)day|january|february|april|june|july|august|september|october|november|december)\b/g;

/** Capitalises the proper nouns that are safe to detect: "over labor day weekend" → "over Labor Day weekend". */
export function withProperNouns(text: string): string {
  return text.replace(PROPER_NOUNS, (name) => name.replace(/(?<!')\b[a-z]/g, (c) => c.toUpperCase()).replace(/ Of /g, ' of '));
}

// How speech that breaks off mid-clause ends. A trailing conjunction is dropped alone (unpunctuated
// speech runs on with "and"); a trailing preposition, article or possessive takes its clause with it
// when a comma gives one, else goes alone; an auxiliary or filler ("and it was", "he feels kinda")
// takes its clause, or the whole sentence when short.
const TRAILING_CONJUNCTION = new Set('and or but so then um uh'.split(' '));
const DANGLING_WORD = new Set('a an the of to for with by from as into onto his her their our your my some any very really how'.split(' '));
const DANGLING_CLAUSE = new Set('is are was were be been being has have had do does did kinda sorta because if than which whom whether until unless whose would could should can will'.split(' '));
// Words that end a clause only when the speaker broke off ("... or if it" before a dash or an ellipsis).
const DANGLING_WHEN_BROKEN = new Set('it this that these those he she they we you i like just who when where what'.split(' '));
const SUBJECT = /\b(?:he|she|they|we|i|you|it|patient)\s+\S+$/i;
const SHORT_SENTENCE_WORDS = 8;

/**
 * Drops what breaks off mid-clause: "He is tired, and he feels kinda." → "He is tired."; a short
 * sentence that is nothing but a broken-off clause is dropped whole. `broken` says the speaker was
 * cut off (the transcript marks it with a dash or an ellipsis). Elliptical answers ("he is") stay.
 */
export function withoutDanglingClause(text: string, broken = false): string {
  const end = trailingRunOf(text, /[.?!]/) || '.';
  const trim = (x: string): string => trimEndOf(x, /[\s,;:-]/).trim();
  const words = (x: string): number => x.split(/\s+/).filter(Boolean).length;
  let t = trim(trimEndOf(text, /[.?!]/));
  for (let k = 0; k < 4; k++) {
    const m = lastRunOf(t, /[a-z0-9'%/.]/i, /[^a-z0-9]/i);
    const last = m?.run.toLowerCase();
    if (!m || !last) return '';
    const dropWord = (): string => trim(t.slice(0, m.index));
    const toComma = (): string | undefined => {
      const comma = t.lastIndexOf(',');
      return comma >= 0 && words(t.slice(0, comma)) >= 3 ? trim(t.slice(0, comma)) : undefined;
    };
    const elliptical = !broken && /^(?:is|are|was|were|do|does|did|has|have|had)$/.test(last) && SUBJECT.test(t);
    if (TRAILING_CONJUNCTION.has(last) && !/\bor so$/i.test(t)) t = dropWord();
    else if (TRAILING_CONJUNCTION.has(last)) return `${t}${end}`;
    else if (DANGLING_WORD.has(last)) t = (broken ? undefined : toComma()) ?? dropWord();
    else if (!elliptical && (DANGLING_CLAUSE.has(last) || (broken && DANGLING_WHEN_BROKEN.has(last)))) {
      const clause = toComma();
      if (clause !== undefined) t = clause;
      else if (words(t) < SHORT_SENTENCE_WORDS) return '';
      else t = dropWord();
    } else return words(t) >= 2 && /[a-z]/i.test(t) ? `${t}${end}` : '';
    broken = false;
  }
  return '';
}

const QUESTION_LEAD =
  /^(?:and |so |now |okay |um |uh |,\s*)*(?:have you (?:had|noticed|experienced|been having|felt)|do you (?:have|feel|get|notice)|are you (?:having|experiencing|feeling)|did you (?:have|notice|feel|get)|any (?:other )?|is there any|has there been any)\s*/;
// Spoken transcripts split contractions ("i do n't", "i have n't").
const NO_ANSWER = /^(?:no|nope|not really|nah|never|none|not that i|i (?:do|have|did|had)(?: n't|n't| not))\b/;
// A qualified yes ("slight cramps", "just when i'm doing the projects") still says the symptom is there.
const YES_ANSWER = /^(?:yes|yeah|yep|uh-huh|mm-hmm|i do|i have|i did|a little|a bit|sometimes|occasionally|slight(?:ly)?|mild(?:ly)?|kind of|kinda|(?:just|only) when)\b/;

/** Whether a patient's reply to a yes/no question says yes, no, or neither. */
export function answerPolarity(answer: string): 'yes' | 'no' | undefined {
  const a = answer
    .toLowerCase()
    .replace(/^(?:(?:um|uh|well|oh|so|and|,)\s+)*/, '')
    .trim();
  return NO_ANSWER.test(a) ? 'no' : YES_ANSWER.test(a) ? 'yes' : undefined;
}

/**
 * A clinician's yes/no symptom question and the patient's short answer, as one note statement:
 * "any chest pain ?" + "no ." → "Denies chest pain." Returns undefined when either side is not of that shape.
 */
export function answeredQuestion(question: string, answer: string): string | undefined {
  const q = question.toLowerCase().replace(/(?<!\s)\s*\?\s*$/, '').trim();
  const lead = q.match(QUESTION_LEAD);
  if (!lead) return undefined;
  // "your" names the patient's own body ("pain in your legs" → "pain in the legs").
  const topic = q.slice(lead[0].length).replace(/(?<!\s)\s+,/g, ',').replace(/^any\s+/, '').replace(/\byour\b/g, 'the').replace(/^(?:kind|sort|type) of\s+/, '').replace(/(?<!\s)\s+at all$/, '').replace(/(?<!\s)\s+(?:down |up |over |right )?here\b/g, '').trim();
  if (!topic || topic.split(' ').length > 10 || /\b(you|i|we)\b/.test(topic)) return undefined;
  const polarity = answerPolarity(answer);
  // "i have been suffering from constipation recently": a full answer states it better than "Reports ...".
  const spoken = answer.toLowerCase().replace(/^(?:(?:um|uh|well|oh|so|and|,)\s+)*/, '');
  if (polarity === 'yes' && /^i (?:have|did|do)\b(?! n't| not)/.test(spoken) && spoken.split(/\s+/).length > 5) return undefined;
  const verb = polarity === 'no' ? 'Denies' : polarity === 'yes' ? 'Reports' : undefined;
  // The symptom as a note names it ("short of breath" → "shortness of breath").
  const named = topic.replace(/^short of breath\b/, 'shortness of breath').replace(/^(?:dizzy|lightheaded)$/, (w) => (w === 'dizzy' ? 'dizziness' : 'lightheadedness'));
  return verb ? `${verb} ${digitiseNumbers(named)}.` : undefined;
}

/** Clinician first-person plans as note phrasing: "i want to go ahead and order" → "we will order". */
export function planPhrasing(text: string): string {
  return text
    // "i want you to weigh yourself" is an instruction to the patient, not the clinician's plan.
    .replace(/\b(?:i|we) (?:certainly |really |just |also |would |do )?(?:want|need|'d like|would like|'d want) you to\s+/gi, 'you should ')
    .replace(/\b(?:i|we) (?:would )?(?:recommend|suggest|advise) (?:that )?you\s+/gi, 'you should ')
    .replace(/\b(?:i(?:'m| am) going to|(?:i'm|i am|we're|we are) gon na|(?:i|we) (?:do |really )?wan na|i want to|i'd like to|i'll|i will|we're going to|we are going to|let's|we'll)\s+(?:go ahead and\s+)?/gi, 'we will ')
    .replace(/\b(?:i think|i believe|it sounds like|it looks like)\s+/gi, '')
    // Dictation-assistant commands: "hey dragon, order ..." keeps the order; screen commands go.
    .replace(/\bhey(?:\s*,)?\s*dragon\b(?:\s*,)?\s*/gi, '')
    .replace(/^\s*(?:,\s*)?show me (?:the |his |her |your )?[^.]*[.,]?/gi, '')
    .replace(/\b(?:order the medications? and procedures? (?:that )?(?:we )?discussed|finalize the (?:note|report)|end of dictation)\b[.,]?/gi, '')
    // A self-correction ("i-we will") and a bare "go ahead" ("we will go ahead increase").
    .replace(/\bi-\s*(?=we\b)/gi, '')
    .replace(/\b(order|get|check) just ,? /gi, '$1 ')
    // Spaces, dashes and "and" after "go ahead" read one way only, so a miss ("go ahead - - - 1") backs off
    // in linear time; nested optional spaces tried every split of them (issue 13: exponential).
    .replace(/\b(we will|we can) go ahead(?:\s|-|and\b)*(?=(?!(?:with|and|for|on|to|if|so|now)\b)[a-z])/gi, '$1 ');
}

// Base verbs that need the third-person -s once "i"/"you" became "he"/"she"/"the patient".
const BASE_VERBS = (
  'feel think take get need want like know notice say try use work see hurt eat drink walk sleep live smoke exercise play run gain lose develop ' +
  'wake remember recall experience deal struggle check drive keep continue stay wear mean seem tend start stop love enjoy hate'
).split(' ');
const VERB_S: Record<string, string> = { have: 'has', do: 'does', "don't": "doesn't", are: 'is', were: 'was', go: 'goes', try: 'tries' };
for (const v of BASE_VERBS) VERB_S[v] ??= `${v}s`;

/** Subject-verb agreement after the person change: "he feel" → "he feels", "she have" → "she has". */
export function agreeVerbs(text: string): string {
  return text.replace(/\b(he|she|the patient)( (?:also |still |just |really |usually |never |always |often |sometimes )?)([a-z']+)\b/g, (all, subject: string, adv: string, verb: string) => {
    const s = VERB_S[verb];
    return s ? `${subject}${adv}${s}` : all;
  });
}

// A spoken question without its question mark (unpunctuated transcripts).
const QUESTION_START =
  /^(?:(?:so|and|okay|ok|um|uh|now|alright|but|well|,)\s+)*(?:do|does|did|have|has|are|is|was|were|can|could|would|will|what|what's|how|when|where|why|which|who|tell me|any)\b/;

/** Whether a sentence asks rather than states (ends in "?" or opens like a question). */
export function isQuestion(text: string): boolean {
  const t = text.toLowerCase().trim();
  if (TAG_QUESTION.test(t) && !QUESTION_START.test(t)) return false;
  return /\?\s*$/.test(t) || QUESTION_START.test(t);
}

const PRONOUN_SWAP: Record<string, Record<string, string>> = {
  she: { she: 'she', he: 'she', his: 'her', him: 'her', himself: 'herself', mr: 'ms', mrs: 'mrs', ms: 'ms', male: 'male', gentleman: 'woman' },
  he: { she: 'he', he: 'he', her: 'his', hers: 'his', herself: 'himself', mrs: 'mr', ms: 'mr', mr: 'mr' },
  'the patient': { she: 'the patient', he: 'the patient', her: "the patient's", his: "the patient's", him: 'the patient', herself: 'themselves', himself: 'themselves' },
};

/**
 * A past note's sentence with this patient's pronouns and titles, so a reused phrasing never
 * carries another patient's sex. "her" before a word becomes "his", otherwise "him".
 */
export function withPronouns(text: string, p: PatientPronouns): string {
  const swap = PRONOUN_SWAP[p.subject]!;
  return text.replace(/\b(she|he|her|hers|his|him|herself|himself|mrs|mr|ms)\b(\.?)(\s+[a-z]*)?/gi, (all, word: string, dot: string, next: string | undefined) => {
    const lower = word.toLowerCase();
    let out = swap[lower];
    if (p.subject === 'he' && lower === 'her') out = next && /^\s+[a-z]/.test(next) && !/^\s+(and|or|to|that|with|for|about|at|in|on)$/.test(next) ? 'his' : 'him';
    if (!out) return all;
    if (word[0] === word[0]!.toUpperCase()) out = capitalise(out);
    return `${out}${dot}${next ?? ''}`;
  });
}
