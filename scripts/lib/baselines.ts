// Reference baselines for the quality benchmark, scored with the same scorer as the product.
import { rougeTokens } from '@clinote/shared/rouge.js';

/** TF-IDF (sublinear tf, smoothed idf) nearest neighbour over transcripts. */
export class TranscriptIndex {
  private readonly df = new Map<string, number>();
  private readonly vectors: Map<string, number>[];

  constructor(private readonly transcripts: string[]) {
    for (const t of transcripts) for (const token of new Set(rougeTokens(t))) this.df.set(token, (this.df.get(token) ?? 0) + 1);
    this.vectors = transcripts.map((t) => this.vector(t));
  }

  private vector(text: string): Map<string, number> {
    const tf = new Map<string, number>();
    for (const token of rougeTokens(text)) tf.set(token, (tf.get(token) ?? 0) + 1);
    const v = new Map<string, number>();
    let norm = 0;
    for (const [token, count] of tf) {
      const w = (1 + Math.log(count)) * Math.log((1 + this.transcripts.length) / (1 + (this.df.get(token) ?? 0)));
      v.set(token, w);
      norm += w * w;
    }
    const n = Math.sqrt(norm) || 1;
    for (const [token, w] of v) v.set(token, w / n);
    return v;
  }

  /** Index of the most similar transcript. */
  nearest(text: string): number {
    const q = this.vector(text);
    let best = 0;
    let bestScore = -1;
    this.vectors.forEach((v, i) => {
      let dot = 0;
      for (const [token, w] of q) dot += w * (v.get(token) ?? 0);
      if (dot > bestScore) {
        bestScore = dot;
        best = i;
      }
    });
    return best;
  }
}
