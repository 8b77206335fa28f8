import { stemmer } from 'stemmer';

/** ROUGE F1 scores × 100, as reported by Google's rouge-score. */
export interface RougeF1 {
  rouge1: number;
  rouge2: number;
  rougeL: number;
}

/**
 * rouge-score's default tokenizer: lowercase, anything outside [a-z0-9] becomes a space, and tokens
 * longer than three characters are Porter-stemmed (rouge-score stems with NLTK's Porter; the `stemmer`
 * package implements the original algorithm, which agrees on nearly all clinical vocabulary).
 */
export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((t) => t.length > 0)
    .map((t) => (t.length > 3 ? stemmer(t) : t));
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function f1(overlap: number, predTotal: number, refTotal: number): number {
  if (predTotal === 0 || refTotal === 0) return 0;
  const precision = overlap / predTotal;
  const recall = overlap / refTotal;
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function rougeN(pred: string[], ref: string[], n: number): number {
  const p = ngramCounts(pred, n);
  const r = ngramCounts(ref, n);
  let overlap = 0;
  for (const [gram, count] of p) overlap += Math.min(count, r.get(gram) ?? 0);
  return f1(overlap, Math.max(0, pred.length - n + 1), Math.max(0, ref.length - n + 1));
}

/** Length of the longest common subsequence, with two rolling rows of integer token ids (memory linear in b). */
function lcsLength(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const ids = new Map<string, number>();
  const id = (t: string): number => ids.get(t) ?? (ids.set(t, ids.size), ids.size - 1);
  const bi = Int32Array.from(b, id);
  let prev = new Uint32Array(b.length + 1);
  let curr = new Uint32Array(b.length + 1);
  for (const token of a) {
    // A token of a that b never has can only carry the row above forward.
    const ai = ids.get(token) ?? -1;
    for (let j = 1; j <= bi.length; j++) {
      const up = prev[j]!;
      const left = curr[j - 1]!;
      curr[j] = ai === bi[j - 1] ? prev[j - 1]! + 1 : up > left ? up : left;
    }
    const t = prev;
    prev = curr;
    curr = t;
  }
  return prev[b.length]!;
}

/** ROUGE-1/2/L F1 × 100 of a prediction against a reference (rougeL is sentence-level LCS, not rougeLsum). */
export function rougeScores(pred: string, ref: string): RougeF1 {
  const p = rougeTokens(pred);
  const r = rougeTokens(ref);
  return {
    rouge1: 100 * rougeN(p, r, 1),
    rouge2: 100 * rougeN(p, r, 2),
    rougeL: 100 * f1(lcsLength(p, r), p.length, r.length),
  };
}

/** Mean of per-document scores, the way rouge-score's BootstrapAggregator reports its mid value. */
export function meanRouge(scores: RougeF1[]): RougeF1 {
  if (scores.length === 0) return { rouge1: 0, rouge2: 0, rougeL: 0 };
  const sum = scores.reduce(
    (acc, s) => ({ rouge1: acc.rouge1 + s.rouge1, rouge2: acc.rouge2 + s.rouge2, rougeL: acc.rougeL + s.rougeL }),
    { rouge1: 0, rouge2: 0, rougeL: 0 },
  );
  return { rouge1: sum.rouge1 / scores.length, rouge2: sum.rouge2 / scores.length, rougeL: sum.rougeL / scores.length };
}
