import { stemmer } from 'stemmer';
import stopword from 'stopword';

// Words that carry conversation, not clinical content: speaker labels, back-channel and filler.
// Negations ("no", "not", "denies") and laterality ("left", "right") are deliberately absent.
const CONVERSATION_FILLER = [
  'doctor', 'patient', 'dr', 'guest', 'um', 'uh', 'uhm', 'umm', 'hmm', 'mm', 'mhm', 'huh', 'ah', 'oh',
  'okay', 'ok', 'yeah', 'yes', 'yep', 'yup', 'alright', 'like', 'know', 'mean', 'gonna', 'wanna',
  'gotta', 'kinda', 'sorta', 'well', 'just', 'really', 'actually', 'basically', 'let', 'lets', 'go',
  'going', 'get', 'got', 'getting', 'thing', 'things', 'little', 'bit', 'lot', 'sure', 'thanks',
  'thank', 'hi', 'hello', 'bye', 'nice', 'great', 'dax', 'today', 'want', 'think', 'see', 'look',
  'say', 'said', 'tell', 'also', 'much', 'im', 'ive', 'youre', 'dont', 'thats', 'its', 'theres',
  'lets', 'gonna', 'kind', 'sort', 'anything', 'something', 'everything', 'maybe', 'mr', 'mrs', 'ms',
  'miss', 'sir', 'ma', 'am', 'come', 'came', 'back', 'one', 'two', 'us', 'can', 'will', 'would',
  'could', 'should', 'do', 'did', 'does', 'have', 'has', 'had', 'be', 'been', 'are', 'is', 'was',
  'were', 'what', 'how', 'any', 'some', 'good', 'fine', 'right', 'um-hum',
];
// In dialogue "right" is mostly filler ("right?"); it is kept only before a content word ("right knee").
const LATERALITY_HEADS = new Set(['right', 'left']);

const IGNORED = new Set<string>([...stopword.eng, ...CONVERSATION_FILLER]);
IGNORED.delete('no');
IGNORED.delete('not');
IGNORED.delete('left');

// Letters (with inner apostrophes dropped below) or numbers with an optional decimal part.
const WORD = /[a-z]+(?:'[a-z]+)*|\d+(?:\.\d+)?/g;

/**
 * Content-bearing words of a clinical text in order: lower-cased, apostrophes removed, stopwords and
 * conversational filler dropped. "right" is kept only when it precedes a word (laterality, "right knee").
 */
export function contentWords(text: string): string[] {
  const lower = text.toLowerCase();
  const raw = (lower.match(WORD) ?? []).map((t) => (t.includes("'") ? t.replace(/'/g, '') : t));
  const words: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const word = raw[i]!;
    if (LATERALITY_HEADS.has(word)) {
      const next = raw[i + 1];
      if (next !== undefined && !IGNORED.has(next) && /^[a-z]/.test(next)) words.push(word);
      continue;
    }
    if (word.length < 2 && !/\d/.test(word)) continue;
    if (IGNORED.has(word)) continue;
    words.push(word);
  }
  return words;
}

/** Porter stem of one lower-case word, numbers unchanged. */
export function stemWord(word: string): string {
  return /^\d/.test(word) ? word : stemmer(word);
}
