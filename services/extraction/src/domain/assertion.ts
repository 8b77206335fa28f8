// NegEx/ConText-style assertion rules for findings in a doctor–patient dialogue: certainty
// (affirmed / negated / possible), temporality (current / historical) and experiencer (patient /
// family), judged on the sentence(s) of the turn that hold the evidence span. A doctor's question
// ("any chest pain?") is judged by the patient's answer in the next turn.
import {
  type Assertion,
  Certainty,
  type EvidenceSpan,
  Experiencer,
  Temporality,
} from '@clinote/shared/gen/clinote/common/v1/common.js';
import { matchesAtLineStarts } from './offline/text-scan.js';

interface Token {
  text: string;
  start: number;
  end: number;
}

interface Turn {
  speaker: string;
  start: number;
  end: number;
}

type Phrase = readonly string[];

const phrases = (...list: string[]): Phrase[] => list.map((p) => p.split(' '));

// Token sequences (see tokenize: "don't" and "do n't" both become "do", "n't").
export const NEGATION_PRE = phrases(
  'no', 'not', "n't", 'never', 'without', 'denies', 'denied', 'deny', 'denying', 'none', 'nothing', 'nor', 'neither',
  'cannot', 'negative for', 'free of', 'absence of', 'no evidence of', 'no signs of', 'no sign of', 'ruled out for',
);
export const NEGATION_POST = phrases('ruled out', 'is negative', 'was negative', 'were negative', 'are negative', 'absent', 'not present', 'denied', 'is gone', 'went away', 'has resolved');
const POSSIBLE_PRE = phrases(
  'possible', 'possibly', 'probable', 'probably', 'may', 'might', 'maybe', 'perhaps', 'suspect', 'suspected', 'suspicious for',
  'suspicion of', 'concern for', 'concerned about', 'concerning for', 'worried about', 'question of', 'questionable', 'rule out',
  'r o', 'could be', 'could have', 'likely', 'suggestive of', 'versus', 'vs', 'differential', 'not sure', 'not certain',
  "do n't know if", "do n't know whether", "do n't think", 'i think', 'if', 'in case', 'to see if', 'make sure', 'evaluate for',
  'check for', 'seems like', 'sounds like', 'whether',
);
const POSSIBLE_POST = phrases('unlikely', 'is possible', 'is likely', 'is suspected', 'can not be excluded', 'not excluded', 'or not');
// Phrases that contain a trigger word but do not trigger ("no change", "not only").
const PSEUDO = phrases(
  'no increase', 'no change', 'no changes', 'not only', 'not necessarily', 'no further', 'not just', 'gram negative', 'no problem',
  'no problems with that', 'not bad', 'no worries', 'why not', 'not too bad', 'if any', 'no doubt', 'not been able',
);
const HISTORICAL_PRE = phrases(
  'history of', 'hx of', 'h o', 'previous', 'previously', 'prior', 'past', 'used to', 'in the past', 'back in', 'last year',
  'as a child', 'when i was', 'childhood', 'status post', 's p', 'remote', 'former', 'years ago', 'had a history', 'resolved',
);
const HISTORICAL_POST = phrases('years ago', 'year ago', 'in the past', 'previously', 'back then', 'last year', 'as a child', 'has resolved', 'resolved', 'months ago');
const FAMILY = phrases(
  'mother', 'mom', 'mum', 'father', 'dad', 'brother', 'brothers', 'sister', 'sisters', 'sibling', 'siblings', 'aunt', 'uncle',
  'grandmother', 'grandma', 'grandfather', 'grandpa', 'grandparents', 'cousin', 'parents', 'parent', 'son', 'daughter', 'niece',
  'nephew', 'family history', 'family member', 'family members', 'in the family', 'in my family', 'in your family', 'family',
);
// A relative who reports or accompanies is not the one with the finding.
const FAMILY_PSEUDO_NEXT = new Set(['says', 'said', 'noticed', 'notices', 'told', 'tells', 'thinks', 'brought', 'drove', 'mentioned', 'wants', 'asked', 'helps', 'doctor', 'physician', 'medicine', 'practice', 'is', 'was']);
const TERMINATORS = new Set(['but', 'however', 'although', 'though', 'except', 'apart', 'aside', 'which', 'yet', 'still', 'whereas', '.', '?', '!', ';']);
const FILLERS = new Set(['uh', 'um', 'umm', 'uhm', 'well', 'oh', 'so', 'hmm', 'ah', ',', 'and', 'you', 'know', 'like', 'okay', 'honestly']);
const NEGATIVE_ANSWERS = phrases('no', 'nope', 'nah', 'not really', 'not at all', 'never', 'none', 'nothing', 'negative', "i do n't", "i have n't", "i did n't", "i 'm not", 'i am not', "it 's not", "it does n't", "not that i know", 'not anymore');
const UNCERTAIN_ANSWERS = phrases('maybe', 'possibly', 'not sure', "i 'm not sure", 'i am not sure', "i do n't know", "i do n't think so", 'i think so', 'sort of', 'kind of', 'i guess', 'perhaps', 'probably', 'not that i', 'hard to say');
const AFFIRMATIVE_ANSWERS = phrases('yes', 'yeah', 'yep', 'yup', 'ya', 'mm hmm', 'mm-hmm', 'uh-huh', 'uh huh', 'i do', 'i have', 'i did', 'sure', 'correct', 'right', 'definitely', 'absolutely', 'a little', 'a bit', 'some', 'sometimes', 'it is', 'it does', 'i am', 'i was', 'always', 'occasionally', 'every');
const ANSWER_WORDS = new Set(['no', 'nope', 'nah', 'yes', 'yeah', 'yep', 'yup', 'mm', 'hmm', 'mm-hmm', 'uh-huh', 'correct', 'right', 'not', 'really', 'uh', 'um', ',', '.']);
const YES_NO_OPENERS = new Set(['do', 'does', 'did', 'have', 'has', 'had', 'are', 'is', 'was', 'were', 'any', 'can', 'could', 'would', 'will', 'should', 'anything', 'how about', 'what about', 'no']);
const WH_OPENERS = new Set(['what', 'where', 'when', 'how', 'which', 'why', 'who', 'whose', 'tell', 'describe']);
const PRESENCE_OPENERS = phrases('do you have', 'do you get', 'have you had', 'have you noticed', 'have you been', 'did you have', 'did you notice', 'are you having', 'are you experiencing', 'is there', 'was there', 'does it', 'do you feel', 'do you ever');
const TAG_ENDINGS = new Set(['okay', 'ok', 'right', 'alright', 'correct', 'yeah', 'huh']);
// A word of every NEGATION_PRE and NEGATION_POST phrase (assertion.test.ts checks the lists against it).
export const NEGATION_WORD = /\b(?:no|not|never|without|denies|denied|deny|denying|none|nothing|nor|neither|cannot|negative|free|absence|ruled|absent|gone|away|resolved)\b|n't/i;
const NEGATION_WINDOW = 6;
const CONTEXT_WINDOW = 10;

function tokenize(text: string, offset: number): Token[] {
  const tokens: Token[] = [];
  const re = /[a-z0-9]+(?=n't\b)|n't\b|'[a-z]+\b|[a-z0-9]+(?:-[a-z0-9]+)*|[.?!;,]/gi;
  for (const m of text.matchAll(re)) {
    tokens.push({ text: m[0].toLowerCase().replace(/\u2019/g, "'"), start: offset + m.index, end: offset + m.index + m[0].length });
  }
  return tokens;
}

// A speaker mark, tried at each line start.
const SPEAKER_MARK = /[ \t]*(?:\[([^\]\n]{1,30})\]|(doctor|patient|dr|pt|clinician)\s*:)/iy;

function turnsOf(transcript: string): Turn[] {
  const turns: Turn[] = [];
  const marks = matchesAtLineStarts(transcript, SPEAKER_MARK).map((m) => ({ speaker: (m[1] ?? m[2] ?? '').toLowerCase(), start: m.index, body: m.index + m[0].length }));
  if (marks.length === 0) return [{ speaker: '', start: 0, end: transcript.length }];
  if (marks[0]!.start > 0) turns.push({ speaker: '', start: 0, end: marks[0]!.start });
  marks.forEach((m, i) => turns.push({ speaker: m.speaker, start: m.body, end: marks[i + 1]?.start ?? transcript.length }));
  return turns;
}

const isClinician = (speaker: string) => /doctor|dr|clinician|provider|nurse|physician/.test(speaker);

/** Sentences of a turn as [start, end) offsets; the end includes the closing punctuation. */
function sentencesOf(transcript: string, turn: Turn): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const text = transcript.slice(turn.start, turn.end);
  const re = /[^.?!]+(?:[.?!]+|$)/g;
  for (const m of text.matchAll(re)) {
    if (/[a-z0-9]/i.test(m[0])) out.push([turn.start + m.index, turn.start + m.index + m[0].length]);
  }
  return out;
}

function matchesAt(tokens: Token[], i: number, phrase: Phrase): boolean {
  return phrase.every((w, k) => tokens[i + k]?.text === w);
}

interface Hit {
  start: number; // first token index
  end: number; // last token index
}

function findAll(tokens: Token[], list: Phrase[], blocked: Uint8Array): Hit[] {
  const hits: Hit[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (blocked[i]) continue;
    // Longest phrase first so "no evidence of" wins over "no".
    let best = 0;
    for (const p of list) if (p.length > best && matchesAt(tokens, i, p)) best = p.length;
    if (best > 0) hits.push({ start: i, end: i + best - 1 });
  }
  return hits;
}

function blockedBy(tokens: Token[], list: Phrase[]): Uint8Array {
  const blocked = new Uint8Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    for (const p of list) if (matchesAt(tokens, i, p)) blocked.fill(1, i, i + p.length);
  }
  // "no ," opening an answer ("no , i do have some pain") answers the question, it does not negate.
  for (let i = 0; i + 1 < tokens.length; i++) {
    if ((tokens[i]!.text === 'no' || tokens[i]!.text === 'yes') && tokens[i + 1]!.text === ',' && tokens[i + 2]?.text !== 'no') blocked[i] = 1;
  }
  return blocked;
}

/** Whether a trigger in front of the finding reaches it, or one behind it reaches back. */
function applies(tokens: Token[], hits: Hit[], f0: number, f1: number, direction: 'pre' | 'post', window: number): boolean {
  for (const h of hits) {
    if (direction === 'pre') {
      if (h.end >= f1) continue;
      let reach = 0;
      let ok = false;
      for (let k = h.end + 1; k < tokens.length && reach <= window; k++) {
        if (TERMINATORS.has(tokens[k]!.text)) break;
        if (k >= f0 && k <= f1) {
          ok = true;
          break;
        }
        if (tokens[k]!.text !== ',') reach++;
      }
      if (ok) return true;
    } else {
      if (h.start <= f0) continue;
      if (h.start <= f1) return true;
      let blocked = false;
      let reach = 0;
      for (let k = f1 + 1; k < h.start; k++) {
        if (TERMINATORS.has(tokens[k]!.text)) blocked = true;
        if (tokens[k]!.text !== ',') reach++;
      }
      if (!blocked && reach <= window) return true;
    }
  }
  return false;
}

function firstWord(tokens: Token[]): number {
  let i = 0;
  while (i < tokens.length && (FILLERS.has(tokens[i]!.text) || ['all', 'right', 'and', 'now', 'also'].includes(tokens[i]!.text))) i++;
  return i;
}

/**
 * What kind of sentence holds the finding: a yes/no question tests the finding's presence, so the
 * answer decides; a wh-question ("where is the pain?") or a tag ("..., okay?") presupposes it.
 */
function questionKind(tokens: Token[]): 'yes-no' | 'other' | 'statement' {
  const words = tokens.filter((t) => t.text !== ',');
  const last = words[words.length - 1];
  const endsWithQuestion = last?.text === '?';
  const opener = tokens[firstWord(tokens)]?.text ?? '';
  const opener2 = `${opener} ${tokens[firstWord(tokens) + 1]?.text ?? ''}`;
  if (!endsWithQuestion && !(YES_NO_OPENERS.has(opener) && ['you', 'there', 'it', 'any', 'your'].includes(tokens[firstWord(tokens) + 1]?.text ?? ''))) return 'statement';
  if (endsWithQuestion && TAG_ENDINGS.has(words[words.length - 2]?.text ?? '') && words.length > 4) return 'other';
  if (WH_OPENERS.has(opener) && !YES_NO_OPENERS.has(opener2)) return 'other';
  return 'yes-no';
}

/** Classifies the opening of an answer turn. */
function answerCertainty(tokens: Token[]): Certainty | null {
  let i = 0;
  while (i < tokens.length && FILLERS.has(tokens[i]!.text)) i++;
  const starts = (list: Phrase[]) => list.some((p) => matchesAt(tokens, i, p));
  if (starts(UNCERTAIN_ANSWERS)) return Certainty.CERTAINTY_POSSIBLE;
  if (starts(NEGATIVE_ANSWERS)) return Certainty.CERTAINTY_NEGATED;
  if (starts(AFFIRMATIVE_ANSWERS)) return Certainty.CERTAINTY_AFFIRMED;
  return null;
}

function familyApplies(tokens: Token[], f0: number, f1: number, blocked: Uint8Array): boolean {
  const hits = findAll(tokens, FAMILY, blocked).filter((h) => !FAMILY_PSEUDO_NEXT.has(tokens[h.end + 1]?.text ?? '') || tokens.slice(h.start, h.end + 1).some((t) => t.text === 'history'));
  if (hits.some((h) => tokens.slice(h.start, h.end + 1).some((t) => t.text === 'history'))) return true;
  return applies(tokens, hits, f0, f1, 'pre', CONTEXT_WINDOW) || applies(tokens, hits, f0, f1, 'post', 6);
}

/** ConText time rule: "N years ago" is historical, recent onsets ("three days ago") are current. */
function historicalApplies(tokens: Token[], f0: number, f1: number, blocked: Uint8Array): boolean {
  const hits = findAll(tokens, HISTORICAL_PRE, blocked);
  if (applies(tokens, hits, f0, f1, 'pre', CONTEXT_WINDOW)) return true;
  return applies(tokens, findAll(tokens, HISTORICAL_POST, blocked), f0, f1, 'post', CONTEXT_WINDOW);
}

interface Judged {
  certainty: Certainty;
  temporality: Temporality;
  experiencer: Experiencer;
}

function judgeSentence(tokens: Token[], f0: number, f1: number): Judged {
  const blocked = blockedBy(tokens, PSEUDO);
  const possible =
    applies(tokens, findAll(tokens, POSSIBLE_PRE, blocked), f0, f1, 'pre', CONTEXT_WINDOW) ||
    applies(tokens, findAll(tokens, POSSIBLE_POST, blocked), f0, f1, 'post', 4);
  // Possible-phrases that contain a negation word ("not sure") must not also count as negations.
  const negBlocked = blockedBy(tokens, [...PSEUDO, ...POSSIBLE_PRE.filter((p) => p.length > 1)]);
  const negated =
    applies(tokens, findAll(tokens, NEGATION_PRE, negBlocked), f0, f1, 'pre', NEGATION_WINDOW) ||
    applies(tokens, findAll(tokens, NEGATION_POST, negBlocked), f0, f1, 'post', 4);
  return {
    certainty: possible ? Certainty.CERTAINTY_POSSIBLE : negated ? Certainty.CERTAINTY_NEGATED : Certainty.CERTAINTY_AFFIRMED,
    temporality: historicalApplies(tokens, f0, f1, blocked) ? Temporality.TEMPORALITY_HISTORICAL : Temporality.TEMPORALITY_CURRENT,
    experiencer: familyApplies(tokens, f0, f1, blocked) ? Experiencer.EXPERIENCER_FAMILY : Experiencer.EXPERIENCER_PATIENT,
  };
}

/**
 * Whether a text states a negation at all (a NegEx trigger before or after some finding; pseudo-
 * triggers such as "no change" and "not sure" do not count): the polarity test of text without a
 * finding span, e.g. a past note's sentence and the transcript window that must support it.
 */
export function hasNegation(text: string): boolean {
  // Every negation phrase holds one of these words; most text holds none, and then no tokens are needed.
  if (!NEGATION_WORD.test(text)) return false;
  const tokens = tokenize(text, 0);
  const blocked = blockedBy(tokens, [...PSEUDO, ...POSSIBLE_PRE.filter((p) => p.length > 1)]);
  return findAll(tokens, NEGATION_PRE, blocked).length > 0 || findAll(tokens, NEGATION_POST, blocked).length > 0;
}

/**
 * Whether the finding at [start, end) of one sentence is negated by NegEx's rules (a trigger before it
 * within its window, or after it, with no terminator between).
 */
export function isNegatedIn(sentence: string, start: number, end: number): boolean {
  const tokens = tokenize(sentence, 0);
  const inSpan = tokens.flatMap((t, i) => (t.start < end && t.end > start ? [i] : []));
  if (inSpan.length === 0) return false;
  return judgeSentence(tokens, inSpan[0]!, inSpan.at(-1)!).certainty === Certainty.CERTAINTY_NEGATED;
}

const DEFAULT: Assertion = {
  certainty: Certainty.CERTAINTY_AFFIRMED,
  temporality: Temporality.TEMPORALITY_CURRENT,
  experiencer: Experiencer.EXPERIENCER_PATIENT,
};

/**
 * Assertion attributes of the finding at `span`. Rules run over the sentence(s) of the span's turn;
 * when the span sits in a clinician's question, certainty comes from the next speaker's answer
 * (no → negated, yes → affirmed, unsure or no clear answer → possible); when the span is only the
 * answer ("no"), the question before it gives temporality and experiencer.
 */
export function assertFinding(transcript: string, span: EvidenceSpan): Assertion {
  return assertionsOf(transcript)(span);
}

/** `assertFinding` for many spans of one transcript: its turns are found once. */
export function assertionsOf(transcript: string): (span: EvidenceSpan) => Assertion {
  let turns: Turn[] | undefined;
  return (span) => (span.start >= 0 && span.end <= transcript.length && span.start < span.end ? judgeSpan(transcript, (turns ??= turnsOf(transcript)), span) : { ...DEFAULT });
}

function judgeSpan(transcript: string, turns: Turn[], span: EvidenceSpan): Assertion {
  const turnIndex = turns.findIndex((t) => span.start < t.end && span.start >= t.start - 1);
  const turn = turns[Math.max(0, turnIndex)]!;
  const sentences = sentencesOf(transcript, turn).filter(([s, e]) => s < span.end && e > span.start);
  const regionStart = sentences[0]?.[0] ?? span.start;
  const regionEnd = Math.max(sentences[sentences.length - 1]?.[1] ?? span.end, Math.min(span.end, turn.end));
  const tokens = tokenize(transcript.slice(regionStart, regionEnd), regionStart);
  const inSpan = tokens.map((t, i) => (t.start < span.end && t.end > span.start && /[a-z0-9]/.test(t.text) ? i : -1)).filter((i) => i >= 0);
  if (inSpan.length === 0) return { ...DEFAULT };
  const f0 = inSpan[0]!;
  const f1 = inSpan[inSpan.length - 1]!;
  const judged = judgeSentence(tokens, f0, f1);

  const kind = questionKind(tokens);
  const next = turns[turnIndex + 1];
  // Hypotheticals ("call me if you have any chest pain, okay?") stay possible whatever the answer.
  if (kind === 'yes-no' && isClinician(turn.speaker) && next && next.speaker !== turn.speaker && judged.certainty !== Certainty.CERTAINTY_POSSIBLE) {
    const answer = answerCertainty(tokenize(transcript.slice(next.start, Math.min(next.end, next.start + 200)), next.start));
    if (answer === null) {
      // "any chest pain?" — "slight cramps": presence was asked and not confirmed.
      const asksPresence = tokens.some((t) => t.text === 'any' || t.text === 'anything') || PRESENCE_OPENERS.some((p) => matchesAt(tokens, firstWord(tokens), p));
      return asksPresence ? { ...judged, certainty: Certainty.CERTAINTY_POSSIBLE } : judged;
    }
    // "no chest pain, right?" — "right" confirms the negation.
    const certainty = answer === Certainty.CERTAINTY_AFFIRMED && judged.certainty === Certainty.CERTAINTY_NEGATED ? Certainty.CERTAINTY_NEGATED : answer;
    return { ...judged, certainty };
  }

  const onlyAnswer = tokens.slice(f0, f1 + 1).every((t) => ANSWER_WORDS.has(t.text));
  const prev = turns[turnIndex - 1];
  if (onlyAnswer && prev && prev.speaker !== turn.speaker) {
    const answer = answerCertainty(tokens.slice(f0)) ?? Certainty.CERTAINTY_POSSIBLE;
    const questionSentences = sentencesOf(transcript, prev);
    const question = questionSentences[questionSentences.length - 1];
    if (question) {
      const qTokens = tokenize(transcript.slice(question[0], question[1]), question[0]);
      const words = qTokens.map((_, i) => i).filter((i) => /[a-z0-9]/.test(qTokens[i]!.text));
      if (words.length > 0) {
        const q = judgeSentence(qTokens, words[Math.min(words.length - 1, 1)]!, words[words.length - 1]!);
        return { certainty: answer, temporality: q.temporality, experiencer: q.experiencer };
      }
    }
    return { ...judged, certainty: answer };
  }
  return judged;
}
