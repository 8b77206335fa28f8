// Builders shared by this folder's tests (not used at run time).
import { FieldType, type Sop, type SopField, type SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { CandidateRecord } from './candidate-pool.js';

/** Deterministic PRNG (mulberry32) so vectors are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function unitVector(dimension: number, random: () => number): Float32Array {
  const v = new Float32Array(dimension);
  let norm = 0;
  for (let i = 0; i < dimension; i++) {
    v[i] = random() * 2 - 1;
    norm += v[i]! * v[i]!;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dimension; i++) v[i] = v[i]! / norm;
  return v;
}

/** a·cos + b·sin blend: a unit vector at the given cosine from `base`. */
export function vectorAtSimilarity(base: Float32Array, cosine: number, random: () => number): Float32Array {
  const noise = unitVector(base.length, random);
  let dot = 0;
  for (let i = 0; i < base.length; i++) dot += noise[i]! * base[i]!;
  const orthogonal = new Float32Array(base.length);
  let norm = 0;
  for (let i = 0; i < base.length; i++) {
    orthogonal[i] = noise[i]! - dot * base[i]!;
    norm += orthogonal[i]! * orthogonal[i]!;
  }
  norm = Math.sqrt(norm);
  const sine = Math.sqrt(Math.max(0, 1 - cosine * cosine));
  const out = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) out[i] = cosine * base[i]! + (sine * orthogonal[i]!) / norm;
  return out;
}

export function field(label: string, required = true): SopField {
  return {
    key: label.toLowerCase().replace(/[^a-z0-9]+/g, '_'),
    label,
    type: FieldType.FIELD_TYPE_TEXT,
    required,
    instructions: '',
    enumValues: [],
    unit: '',
    codeSystem: '',
  };
}

export function section(title: string, fields: SopField[] = []): SopSection {
  return { key: title.toLowerCase().replace(/[^a-z0-9]+/g, '_'), title, instructions: '', fields };
}

export function sop(name: string, sections: SopSection[]): Sop {
  return { id: `sop-${name}`, userId: "user-1", name, version: 1, active: true, sections };
}

export function record(id: string, embedding: Float32Array, overrides: Partial<CandidateRecord> = {}): CandidateRecord {
  return {
    id,
    embedding,
    qualityScore: 0.8,
    conceptIds: [],
    filledSections: [],
    tokenCount: 500,
    createdAt: new Date('2024-01-01T00:00:00Z'),
    ...overrides,
  };
}
