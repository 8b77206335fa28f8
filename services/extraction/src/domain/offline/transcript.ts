import { lastRunOf } from './text-scan.js';

/** Who speaks a turn. Anything that is not the clinician counts as the patient side. */
export type Speaker = 'doctor' | 'patient' | 'other';

/** One sentence of a turn, with half-open character offsets into the transcript. */
export interface TranscriptSentence {
  /** Index among all sentences of the transcript. */
  index: number;
  turn: number;
  speaker: Speaker;
  start: number;
  end: number;
  text: string;
}

export interface TranscriptTurn {
  index: number;
  speaker: Speaker;
  start: number;
  end: number;
  sentences: TranscriptSentence[];
}

const TAG = /\[([a-z_ ]+)\]|^(doctor|patient|dr|pt)\s*:/gim;

function speakerOf(tag: string): Speaker {
  const t = tag.toLowerCase();
  if (t.startsWith('doctor') || t === 'dr' || t.includes('clinician') || t.includes('provider')) return 'doctor';
  if (t.startsWith('patient') || t === 'pt') return 'patient';
  return 'other';
}

// A sentence ends at . ? ! followed by whitespace (so "98.6" and "3/6" stay whole).
// Titles ("ms. thompson", "dr. moore") do not end a sentence. A run of marks is tried from its start
// only (or from just after a title's dot), never again from each mark inside it.
const SENTENCE_END = /(?<!\b(?:dr|mr|mrs|ms|st|jr|sr)(?=\.))(?:(?<![.?!])|(?<=\b(?:dr|mr|mrs|ms|st|jr|sr)\.))[.?!]+(?=\s|$)/gi;

function splitSentences(text: string, from: number, to: number, turn: number, speaker: Speaker, out: TranscriptSentence[]): TranscriptSentence[] {
  const sentences: TranscriptSentence[] = [];
  const body = text.slice(from, to);
  let last = 0;
  const push = (a: number, b: number): void => {
    let s = from + a;
    let e = from + b;
    while (s < e && /\s/.test(text[s]!)) s++;
    while (e > s && /\s/.test(text[e - 1]!)) e--;
    if (e > s && /[a-z0-9]/i.test(text.slice(s, e))) {
      const sentence = { index: out.length, turn, speaker, start: s, end: e, text: text.slice(s, e) };
      out.push(sentence);
      sentences.push(sentence);
    }
  };
  // Long unpunctuated stretches (ASR without punctuation) are cut at discourse markers.
  const pushClauses = (a: number, b: number): void => {
    for (const [x, y] of clauseBounds(body.slice(a, b))) push(a + x, a + y);
  };
  for (const m of body.matchAll(SENTENCE_END)) {
    const end = m.index + m[0].length;
    pushClauses(last, end);
    last = end;
  }
  pushClauses(last, body.length);
  return sentences;
}

const LONG_SENTENCE_WORDS = 25;
const MIN_CLAUSE_WORDS = 6;
// Where a spoken run starts a new thought: discourse markers, plan and exam leads.
const CLAUSE_START =
  /\s(?=(?:so|okay|ok|alright|all right|now|but|um|uh|well|and then|and i|and we|and you|i want|i wan na|i'm gon na|i am going|let's|we'll|we will|for your|on your|on (?:physical )?exam|on examination|any|do you|have you|are you|did you|what|how|when|does|is there)\b)/g;

const CLAUSE_CONTINUES = new Set(
  'it that this there he she they you i we who which have has had get got see feel notice if of a an the to is are was were be any no not'.split(' '),
);

/**
 * Word counts of any slice of `text` in constant time, as `slice.split(/\s+/).filter(Boolean).length`
 * counts them, from a prefix count of word starts (a long run-on turn has thousands of markers to weigh).
 */
export function wordCounter(text: string): (from: number, to: number) => number {
  const isSpace = (i: number): boolean => /\s/.test(text[i]!);
  const starts = new Uint32Array(text.length + 1);
  for (let i = 0; i < text.length; i++) starts[i + 1] = starts[i]! + (!isSpace(i) && (i === 0 || isSpace(i - 1)) ? 1 : 0);
  return (from, to) => {
    if (to <= from) return 0;
    // A word that begins before `from` and runs into the slice counts too.
    const cut = from > 0 && !isSpace(from) && !isSpace(from - 1) ? 1 : 0;
    return starts[to]! - starts[from]! + cut;
  };
}

/** Half-open clause bounds inside one sentence; short sentences stay whole. Linear in the sentence's length. */
function clauseBounds(text: string): [number, number][] {
  const words = wordCounter(text);
  if (words(0, text.length) <= LONG_SENTENCE_WORDS) return [[0, text.length]];
  const cuts = [0];
  for (const m of text.matchAll(CLAUSE_START)) {
    const at = m.index + 1;
    // "it does look like", "if you have any": a marker after a subject or verb continues the clause.
    const before = lastRunOf(text.slice(0, m.index), /[a-z']/i, /\W/)?.run.toLowerCase() ?? '';
    if (CLAUSE_CONTINUES.has(before)) continue;
    if (words(cuts.at(-1)!, at) >= MIN_CLAUSE_WORDS && words(at, text.length) >= MIN_CLAUSE_WORDS) cuts.push(at);
  }
  return cuts.map((c, i) => [c, cuts[i + 1] ?? text.length]);
}

/**
 * Splits a transcript into speaker turns and sentences. Turns are marked `[doctor]` / `[patient]`
 * (ACI-Bench) or `Doctor:` / `Patient:` (MTS-Dialog); text without any marker is one doctor turn.
 */
export function parseTranscript(transcript: string): { turns: TranscriptTurn[]; sentences: TranscriptSentence[] } {
  const marks = [...transcript.matchAll(TAG)].map((m) => ({ at: m.index, bodyStart: m.index + m[0].length, tag: m[1] ?? m[2] ?? '' }));
  const turns: TranscriptTurn[] = [];
  const sentences: TranscriptSentence[] = [];
  if (marks.length === 0) marks.push({ at: 0, bodyStart: 0, tag: 'doctor' });
  else if (transcript.slice(0, marks[0]!.at).trim()) marks.unshift({ at: 0, bodyStart: 0, tag: 'doctor' });
  marks.forEach((mark, i) => {
    const end = i + 1 < marks.length ? marks[i + 1]!.at : transcript.length;
    const speaker = speakerOf(mark.tag);
    const turnSentences = splitSentences(transcript, mark.bodyStart, end, turns.length, speaker, sentences);
    if (turnSentences.length > 0) {
      turns.push({ index: turns.length, speaker, start: turnSentences[0]!.start, end: turnSentences.at(-1)!.end, sentences: turnSentences });
    }
  });
  return { turns, sentences };
}

const STOP = new Set(
  'a an the and or but if of to in on at for with by from as is are was were be been being am do does did have has had i you he she it we they me him her us them my your his its our their this that these those there here so then than too very just um uh yeah okay ok alright right well oh like know mean gonna wanna'.split(' '),
);

/** Lower-case word tokens (letters, digits, internal apostrophes and hyphens). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:['’][a-z]+)?/g) ?? [];
}

export function contentTokens(text: string): string[] {
  return tokenize(text).filter((t) => !STOP.has(t) && t.length > 1);
}
