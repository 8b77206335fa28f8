import murmurhash from 'murmurhash';
import type { CallBounds, Embedder } from './embedder.js';
import { normalizeL2 } from './embedder.js';
import idfTable from './offline-embedder-idf.json' with { type: 'json' };
import { contentWords, stemWord } from './text-features.js';
import { throwIfAborted } from '@clinote/shared/errors.js';

export interface OfflineEmbedderOptions {
  /** 512–1024; more dimensions mean fewer hash collisions. */
  dimensions?: number;
}

const BIGRAM_WEIGHT = 0.6;
const CHAR_NGRAM_WEIGHT = 0.35;
const CHAR_NGRAM = 4;
const WORD_MEMO_LIMIT = 50_000;
const HASH_SEED = 0x9747b28c;

/** What a word contributes, computed once per distinct word: its stem and its feature hashes. */
interface WordFeatures {
  stem: string;
  idf: number;
  unigramHash: number;
  gramHashes: Uint32Array;
}

/**
 * Deterministic embedder that needs no network and no weights: a TF-IDF vector of the transcript,
 * folded into a fixed number of dimensions by signed feature hashing (Weinberger et al. 2009).
 *
 * 1. Words: lower-cased; speaker tags, English stopwords and conversational filler ("um", "okay",
 *    "you know") dropped; negations and laterality kept; Porter-stemmed.
 * 2. Features: stem unigrams; bigrams of adjacent kept stems ("chest pain", "right knee") at 0.6
 *    weight; character 4-grams of each distinct word (with boundary marks) at 0.35 weight shared out
 *    over the word's grams, so spelling variants and unseen inflections still overlap.
 * 3. Weights: sublinear term frequency (1 + ln tf) times IDF from a table built by
 *    scripts/build-embedding-idf.ts from the shared training transcripts only. Bigram IDF is the mean of
 *    its words' IDF; terms absent from the table get the IDF of a once-seen term.
 * 4. Each feature is hashed with MurmurHash3 (seeded): the low bits pick the dimension, the top bit the
 *    sign, so collisions cancel in expectation instead of piling up; then L2 normalisation.
 *
 * Cosine between two such vectors approximates TF-IDF cosine over the full texts, which ranks
 * encounters about the same complaint close together (see bench/embedder-quality.ts for the figure).
 */
export class OfflineEmbedder implements Embedder {
  readonly model = 'clinote-offline-hashing';
  readonly version: string;
  readonly dimensions: number;
  private readonly idf: Map<string, number>;
  private readonly defaultIdf: number;
  private readonly words = new Map<string, WordFeatures>();

  constructor(options: OfflineEmbedderOptions = {}) {
    this.dimensions = options.dimensions ?? 768;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 64 || this.dimensions > 4096) {
      throw new RangeError('dimensions must be an integer in [64, 4096]');
    }
    this.idf = new Map(Object.entries(idfTable.idf));
    this.defaultIdf = idfTable.defaultIdf;
    // The IDF table shapes the vector space, so its content hash is part of the version.
    this.version = `1.${this.dimensions}.${idfTable.version}`;
  }

  async embed(texts: string[], bounds: CallBounds): Promise<Float32Array[]> {
    throwIfAborted(bounds.signal);
    return texts.map((text) => this.embedOne(text));
  }

  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    const words = contentWords(text);
    if (words.length === 0) {
      this.addHash(vector, murmurhash.v3('∅', HASH_SEED), 1);
      return normalizeL2(vector);
    }

    const features = words.map((w) => this.featuresOf(w));
    const stemTf = new Map<string, { tf: number; word: WordFeatures }>();
    for (const f of features) {
      const seen = stemTf.get(f.stem);
      if (seen) seen.tf++;
      else stemTf.set(f.stem, { tf: 1, word: f });
    }
    for (const { tf, word } of stemTf.values()) this.addHash(vector, word.unigramHash, (1 + Math.log(tf)) * word.idf);

    const bigramTf = new Map<string, { tf: number; idf: number }>();
    for (let i = 1; i < features.length; i++) {
      const a = features[i - 1]!;
      const b = features[i]!;
      const key = `b:${a.stem} ${b.stem}`;
      const seen = bigramTf.get(key);
      if (seen) seen.tf++;
      else bigramTf.set(key, { tf: 1, idf: (a.idf + b.idf) / 2 });
    }
    for (const [bigram, { tf, idf }] of bigramTf) {
      this.addHash(vector, murmurhash.v3(bigram, HASH_SEED), BIGRAM_WEIGHT * (1 + Math.log(tf)) * idf);
    }

    // Keyed by the word itself, so the result never depends on the memo's state.
    const wordTf = new Map<string, { tf: number; word: WordFeatures }>();
    words.forEach((w, i) => {
      const seen = wordTf.get(w);
      if (seen) seen.tf++;
      else wordTf.set(w, { tf: 1, word: features[i]! });
    });
    for (const { tf, word } of wordTf.values()) {
      if (word.gramHashes.length === 0) continue;
      const weight = (CHAR_NGRAM_WEIGHT * (1 + Math.log(tf)) * word.idf) / Math.sqrt(word.gramHashes.length);
      for (const h of word.gramHashes) this.addHash(vector, h, weight);
    }
    return normalizeL2(vector);
  }

  private addHash(vector: Float32Array, h: number, weight: number): void {
    const index = h % this.dimensions;
    vector[index] = vector[index]! + (h >>> 31 === 1 ? -weight : weight);
  }

  private featuresOf(word: string): WordFeatures {
    let features = this.words.get(word);
    if (features === undefined) {
      // Memo of a pure function; cleared wholesale to stay bounded.
      if (this.words.size >= WORD_MEMO_LIMIT) this.words.clear();
      const stem = stemWord(word);
      let gramHashes = new Uint32Array(0);
      if (!/^\d/.test(word)) {
        const marked = `<${word}>`;
        gramHashes = new Uint32Array(Math.max(1, marked.length - CHAR_NGRAM + 1));
        for (let i = 0; i < gramHashes.length; i++) {
          gramHashes[i] = murmurhash.v3(`c:${marked.slice(i, i + CHAR_NGRAM)}`, HASH_SEED);
        }
      }
      features = { stem, idf: this.idf.get(stem) ?? this.defaultIdf, unigramHash: murmurhash.v3(`u:${stem}`, HASH_SEED), gramHashes };
      this.words.set(word, features);
    }
    return features;
  }
}
