import { stemmer } from 'stemmer';

// Porter stemming is a pure function of the word and was a top self-time of an extraction (the same
// few thousand words recur in every visit). The cache changes no result; it is cleared when full, so
// it holds at most STEM_CACHE_LIMIT words and no order or text of any transcript.
const STEM_CACHE_LIMIT = 20_000;
const cache = new Map<string, string>();

/** The word's Porter stem; words of three letters or fewer stay as they are (rouge-score's rule). */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  let s = cache.get(word);
  if (s === undefined) {
    if (cache.size >= STEM_CACHE_LIMIT) cache.clear();
    s = stemmer(word);
    cache.set(word, s);
  }
  return s;
}
