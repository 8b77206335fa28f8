import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { extractNumbers } from '@clinote/shared/numeric-support.js';
import type { ContextExample } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { splitNote, type NoteSection } from './sections.js';
import type { TranscriptSentence } from './transcript.js';
import { tokenize } from './transcript.js';
import { digitiseNumbers } from './numbers.js';
import { stem } from './stem.js';
import { hasNegation } from '../assertion.js';

/**
 * Words of note phrasing that state no fact about a patient ("the patient reports that ..."). A past
 * note's sentence may be reused only when every other word it holds, every number and every negation
 * is found in one short window of this transcript, which becomes its evidence.
 */
const PHRASING = new Set(
  (
    'a an the and or but of to in on at for with by from as is are was were be been has have had will would should can could ' +
    'this that these those there it its he she his her him they their them patient patients reports reported report states stated ' +
    'notes noted feels felt also currently today visit recent recently any some other well who which when while since after before ' +
    'about over into per due we i our us me my you your continue continued will plan discussed advised recommended recommend ' +
    'understands agrees agreement agreements medical treatment reasoning additional testing education counseling examination ' +
    'exam history present illness review systems physical results assessment chief complaint instructions follow up'
  ).split(' '),
);

const LATERAL = /\b(left|right|bilateral|bilaterally)\b/g;

/** A template sentence reused because this transcript supports all it says. */
export interface SupportedSentence {
  section: NoteSection;
  text: string;
  evidence: EvidenceSpan[];
  /** Position in its note, to keep the note's order. */
  order: number;
  /** Bullet/heading lines that hold no facts ("• Medical Reasoning:"). */
  phrasingOnly: boolean;
  /** The label the sentence stood under in its note ("• Medical Treatment:"), if any. */
  label?: string;
}

interface Window {
  stems: Set<string>;
  /** The window's stems in order, to tell a label's value said with it from one said elsewhere. */
  sequence: string[];
  numbers: Set<string>;
  negated: boolean;
  laterality: Set<string>;
  spans: EvidenceSpan[];
  words: string;
}

interface SentenceParts {
  words: string;
  sequence: string[];
  numbers: string[];
}

/** One sentence's digitised words, stems and numbers; a window of two joins its sentences' parts. */
function sentenceParts(text: string): SentenceParts {
  const words = digitiseNumbers(text);
  return { words, sequence: tokenize(words).map(stem), numbers: extractNumbers(text).map(String) };
}

function windows(sentences: TranscriptSentence[]): Window[] {
  const out: Window[] = [];
  const parts = sentences.map((s) => s.text.toLowerCase());
  const own = parts.map(sentenceParts);
  const negatedOwn = parts.map(hasNegation);
  for (let i = 0; i < sentences.length; i++) {
    for (let n = 1; n <= 2 && i + n <= sentences.length; n++) {
      const text = n === 1 ? parts[i]! : `${parts[i]} ${parts[i + 1]}`;
      // A sentence closed by its punctuation ends any number it says, so its parts join as they are.
      const closed = n === 2 && /[.?!]\s*$/.test(parts[i]!);
      const p = n === 1 ? own[i]! : closed ? join(own[i]!, own[i + 1]!) : sentenceParts(text);
      out.push({
        stems: new Set(p.sequence),
        sequence: p.sequence,
        numbers: new Set(p.numbers),
        // Polarity: a negated template sentence needs a negation in its evidence, and the other way round.
        negated: n === 1 ? negatedOwn[i]! : closed ? negatedOwn[i]! || negatedOwn[i + 1]! : hasNegation(text),
        laterality: new Set(text.match(LATERAL) ?? []),
        spans: [{ start: sentences[i]!.start, end: sentences[i + n - 1]!.end }],
        words: p.words,
      });
    }
  }
  return out;
}

function join(a: SentenceParts, b: SentenceParts): SentenceParts {
  return { words: `${a.words} ${b.words}`, sequence: [...a.sequence, ...b.sequence], numbers: [...a.numbers, ...b.numbers] };
}

const LABEL_VALUE_DISTANCE = 6;

/** Whether every value stem occurs within `distance` tokens of some label stem. */
function near(sequence: string[], label: string[], value: string[], distance: number): boolean {
  const at = (stems: string[]) => sequence.flatMap((t, i) => (stems.includes(t) ? [i] : []));
  const labelAt = at(label);
  return value.every((v) => at([v]).some((i) => labelAt.some((j) => Math.abs(i - j) <= distance)));
}

/** Sentences of a note, each with its section and a running order. */
function noteSentences(note: string): { section: NoteSection; text: string; order: number; label?: string }[] {
  const out: { section: NoteSection; text: string; order: number; label?: string }[] = [];
  for (const block of splitNote(note)) {
    for (const raw of block.body.split('\n')) {
      // "• Medical Reasoning: <facts>" → the fact-free label, then the facts on their own.
      const labelled = raw.match(/^\s*((?:[•*-]\s*)?[A-Z][A-Za-z /]{2,40}:)\s+(\S.*)$/);
      if (labelled) out.push({ section: block.section, text: labelled[1]!, order: out.length });
      const line = labelled ? labelled[2]! : raw;
      for (const text of line.split(/(?<=[.?!])\s+(?=[A-Z])/))
        if (text.trim()) out.push({ section: block.section, text: text.trim(), order: out.length, ...(labelled ? { label: labelled[1]! } : {}) });
    }
  }
  return out;
}

/**
 * The sentences of the examples' notes that this transcript supports word for word (outside note
 * phrasing), number for number, with the same laterality and polarity. Anything else a past note
 * says is about another patient and is dropped.
 */
export function supportedTemplateSentences(examples: ContextExample[], sentences: TranscriptSentence[], maxExamples = 3): SupportedSentence[] {
  const ws = windows(sentences);
  // Windows by stem: a sentence is tried only on the windows that hold its rarest word.
  const byStem = new Map<string, Window[]>();
  for (const w of ws) for (const t of w.stems) (byStem.get(t) ?? byStem.set(t, []).get(t)!).push(w);
  const candidates = (specific: string[]): Window[] => {
    let best: Window[] | undefined;
    for (const t of specific) {
      const list = byStem.get(t) ?? [];
      if (!best || list.length < best.length) best = list;
    }
    return best ?? ws;
  };
  const seen = new Set<string>();
  const out: SupportedSentence[] = [];
  for (const example of examples.slice(0, maxExamples)) {
    for (const ns of noteSentences(example.note)) {
      const key = ns.text.toLowerCase();
      if (seen.has(key)) continue;
      // A labelled fact ("Blood Pressure: Elevated.") must be supported together with its label.
      const tokens = tokenize(ns.label ? `${ns.label} ${ns.text}` : ns.text);
      if (tokens.length === 0) continue;
      const specific = [...new Set(tokens.filter((t) => !PHRASING.has(t) && !/^\d/.test(t)).map(stem))];
      const numbers = extractNumbers(ns.text).map(String);
      const phrasingOnly = specific.length === 0 && numbers.length === 0;
      if (phrasingOnly) {
        // Headings and bullets with no facts; a lone fully generic sentence is kept as phrasing.
        if (/:\s*$/.test(ns.text) || tokens.length >= 6) {
          seen.add(key);
          out.push({ section: ns.section, text: ns.text, evidence: [], order: ns.order, phrasingOnly: true });
        }
        continue;
      }
      const negated = hasNegation(ns.text);
      const lateral = ns.text.toLowerCase().match(LATERAL) ?? [];
      // A label's short value ("Blood Pressure: Elevated.") must be said with the label, not anywhere in the window.
      const valueStems = ns.label ? [...new Set(tokenize(ns.text).filter((t) => !PHRASING.has(t) && !/^\d/.test(t)).map(stem))] : [];
      const labelStems = ns.label ? [...new Set(tokenize(ns.label).filter((t) => !PHRASING.has(t)).map(stem))] : [];
      const saidTogether = (w: Window): boolean =>
        valueStems.length === 0 || valueStems.length > 3 || labelStems.length === 0 || near(w.sequence, labelStems, valueStems, LABEL_VALUE_DISTANCE);
      const w = candidates(specific).find(
        (w) =>
          w.negated === negated &&
          specific.every((s) => w.stems.has(s)) &&
          numbers.every((n) => w.numbers.has(n)) &&
          lateral.every((l) => w.laterality.has(l)) &&
          saidTogether(w),
      );
      if (!w) continue;
      seen.add(key);
      out.push({ section: ns.section, text: ns.text, evidence: w.spans, order: ns.order, phrasingOnly: false, ...(ns.label ? { label: ns.label } : {}) });
    }
  }
  return out;
}
