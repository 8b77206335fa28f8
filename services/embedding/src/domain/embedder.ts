/** Deadline and cancellation carried from the caller to every provider call. */
export interface CallBounds {
  signal?: AbortSignal;
  deadline?: Date;
}

/**
 * Turns texts into unit-length vectors. `model` and `version` identify the vector space: vectors from
 * different (model, version) pairs are never comparable, so both are part of every cache key.
 */
export interface Embedder {
  readonly model: string;
  readonly version: string;
  readonly dimensions: number;
  embed(texts: string[], bounds: CallBounds): Promise<Float32Array[]>;
}

/** Scales `vector` in place to unit length; a zero vector stays zero. */
export function normalizeL2(vector: Float32Array): Float32Array {
  let sumSquares = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i]!;
    sumSquares += v * v;
  }
  if (sumSquares === 0) return vector;
  const inv = 1 / Math.sqrt(sumSquares);
  for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! * inv;
  return vector;
}

/** Dot product, which is the cosine for unit vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let dot = 0;
  for (let i = 0; i < n; i++) dot += a[i]! * b[i]!;
  return dot;
}
