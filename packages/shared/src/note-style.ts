// Whether a clinical note reads as a note rather than as the visit recording: spoken-language
// residue counted per 1,000 words by kind, and a sentence-level check (issue 16). Used by eval:aci
// for our notes and the reference notes alike, and by the offline extractor to keep out what fails.

/** Kinds of spoken-language residue. */
export type ResidueKind = 'filler' | 'broken_word' | 'repetition' | 'opener' | 'second_person' | 'question';

export const RESIDUE_KINDS: readonly ResidueKind[] = ['filler', 'broken_word', 'repetition', 'opener', 'second_person', 'question'];

/** Why a sentence fails the check: a residue kind, or a defect of the sentence as a whole. */
export type SentenceDefect = ResidueKind | 'fragment' | 'run_on' | 'inner_label' | 'duplicate';

// Discourse fillers that never carry clinical content ("like" and "right" are too often content).
export const FILLER = /\b(?:um+|uh+|uh-huh|mm-hmm|mhm|hmm+|kinda|sorta|gonna|wanna|okay|ok|yeah|yep|yup|nope|sorry|you know|i mean|alright)\b/gi;
// A word broken off and restarted: "mo- 2", "phil- 25"; "2- to 3-week" and "pre- and post-" are note usage.
export const BROKEN_WORD = /\b[a-z]+-(?=[\s,.;]|$)(?!\s+(?:to|or|and|through)\b)/gi;
export const OPENER = /^(?:so|and|but|well|okay|ok|now|yeah|yes|oh|alright|um|uh|like)\b/i;
// The same word twice running ("your your", "is is"); "that that" and "had had" can be grammar, but seldom in a note.
export const REPETITION = /\b([a-z0-9]+)\s+\1\b/gi;
// Longer than any sentence a clinician writes: an unpunctuated stretch of the recording.
const RUN_ON_WORDS = 60;
const SECOND_PERSON = /\b(?:you|your|yours|yourself|you're|you've|you'll|you'd|y'all)\b/gi;
// Words a sentence cannot end on when it is whole ("there's no.", "the diagnosis would be a.").
const DANGLING_END = /\b(?:a|an|the|of|to|with|by|from|as|and|or|but|so|be|been|would|could|should|my|your|no|any|very|really|if|than|because|into)$/i;
// A section's label left inside running text: "the pain Assessment", "knee Plan:".
const INNER_LABEL =
  /[a-z],? (?:Assessment|Plan|Impression|History of Present Illness|Review of Systems|Physical Exam(?:ination)?|Medical Reasoning|Medical Treatment|Patient Education|Additional Testing|Chief Complaint)\b/;

/** The text with its first letter in upper case. */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Words as rouge-score counts them (runs of letters and digits), for rates per 1,000 words. */
export function noteWords(text: string): number {
  return text.match(/[a-z0-9]+/gi)?.length ?? 0;
}

/**
 * The sentences of a note: each line, split after a full stop, question or exclamation mark that a
 * space and an upper-case letter or digit follow. A bullet's or label's lead ("• Medical Reasoning:")
 * stays with its line; headings (upper-case lines) are not sentences.
 */
export function noteSentences(note: string): string[] {
  const out: string[] = [];
  for (const raw of note.split('\n')) {
    const line = raw.trim().replace(/^[•*-]\s*/, '');
    if (!line || isHeading(line)) continue;
    // "Medical Reasoning: The patient ..." : the label is layout, the sentence is what follows it.
    const body = line.replace(/^[A-Z][A-Za-z /]{1,40}:\s*/, '');
    if (!body) continue;
    // Titles ("Mr. Smith") and initials end no sentence.
    for (const s of body.split(/(?<=[.?!])(?<!\b(?:Mr|Mrs|Ms|Dr|St|[A-Z])\.)\s+(?=[A-Z0-9"(])/)) if (s.trim()) out.push(s.trim());
  }
  return out;
}

function isHeading(line: string): boolean {
  const t = line.replace(/:$/, '');
  return t.length > 1 && t === t.toUpperCase() && /^[A-Z][A-Z0-9 &/,()-]*$/.test(t);
}

/** The residue kinds one sentence holds, each with its count. */
export function residueOf(sentence: string): Map<ResidueKind, number> {
  const out = new Map<ResidueKind, number>();
  const add = (kind: ResidueKind, n: number) => n > 0 && out.set(kind, (out.get(kind) ?? 0) + n);
  add('filler', sentence.match(FILLER)?.length ?? 0);
  add('broken_word', sentence.match(BROKEN_WORD)?.length ?? 0);
  add('repetition', sentence.match(REPETITION)?.length ?? 0);
  add('opener', OPENER.test(sentence) ? 1 : 0);
  // "you know" is a filler, not an address.
  add('second_person', sentence.replace(FILLER, ' ').match(SECOND_PERSON)?.length ?? 0);
  add('question', /\?\s*$/.test(sentence) ? 1 : 0);
  return out;
}

/** What is wrong with one sentence, empty when it reads as note prose. `seen` holds earlier sentences' keys. */
export function sentenceDefects(sentence: string, seen?: Set<string>): SentenceDefect[] {
  const out: SentenceDefect[] = [...residueOf(sentence).keys()];
  const core = withoutEndMarks(sentence).trim();
  if (noteWords(core) === 0 || DANGLING_END.test(core)) out.push('fragment');
  if (noteWords(core) > RUN_ON_WORDS) out.push('run_on');
  if (INNER_LABEL.test(core)) out.push('inner_label');
  if (seen) {
    const key = duplicateKey(sentence);
    if (key.split(' ').length >= 4 && seen.has(key)) out.push('duplicate');
    seen.add(key);
  }
  return out;
}

/** The sentence without its closing run of full stops, question and exclamation marks (a loop: `/[.?!]+$/` is quadratic). */
function withoutEndMarks(sentence: string): string {
  let end = sentence.length;
  while (end > 0 && '.?!'.includes(sentence[end - 1]!)) end--;
  return sentence.slice(0, end);
}

function duplicateKey(sentence: string): string {
  return (sentence.toLowerCase().match(/[a-z0-9]+/g) ?? []).join(' ');
}

export interface NoteStyle {
  words: number;
  /** Residue occurrences by kind. */
  residue: Record<ResidueKind, number>;
  sentences: number;
  /** Sentences with no defect. */
  passing: number;
  /** Failing sentences by defect (a sentence may count under several). */
  defects: Record<SentenceDefect, number>;
}

/** Residue and sentence check of one note. */
export function noteStyle(note: string): NoteStyle {
  const style = emptyStyle();
  style.words = noteWords(note);
  const seen = new Set<string>();
  for (const s of noteSentences(note)) {
    style.sentences++;
    for (const [kind, n] of residueOf(s)) style.residue[kind] += n;
    const defects = sentenceDefects(s, seen);
    if (defects.length === 0) style.passing++;
    for (const d of new Set(defects)) style.defects[d]++;
  }
  return style;
}

function emptyStyle(): NoteStyle {
  const zero = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  return {
    words: 0,
    residue: zero(RESIDUE_KINDS),
    sentences: 0,
    passing: 0,
    defects: zero<SentenceDefect>([...RESIDUE_KINDS, 'fragment', 'run_on', 'inner_label', 'duplicate']),
  };
}

/** The sum of several notes' styles (rates are then taken over the whole set, as the issue counts them). */
export function sumStyles(styles: NoteStyle[]): NoteStyle {
  const out = emptyStyle();
  for (const s of styles) {
    out.words += s.words;
    out.sentences += s.sentences;
    out.passing += s.passing;
    for (const k of RESIDUE_KINDS) out.residue[k] += s.residue[k];
    for (const k of Object.keys(out.defects) as SentenceDefect[]) out.defects[k] += s.defects[k];
  }
  return out;
}

/** Residue per 1,000 words, in total and by kind. */
export function residueRate(style: NoteStyle): { total: number; byKind: Record<ResidueKind, number> } {
  const per = (n: number) => (style.words === 0 ? 0 : (1000 * n) / style.words);
  const byKind = Object.fromEntries(RESIDUE_KINDS.map((k) => [k, per(style.residue[k])])) as Record<ResidueKind, number>;
  return { total: per(RESIDUE_KINDS.reduce((n, k) => n + style.residue[k], 0)), byKind };
}
