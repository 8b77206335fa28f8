/**
 * Clinical concept extraction for the medical_relevance factor.
 *
 * Vocabulary: `lexicon.json` beside this file, built by `scripts/build-lexicon.ts` from the shared
 * ACI-Bench and MTS-Dialog training notes with seed lists and suffix rules (no installable package
 * ships a categorised clinical vocabulary: UMLS/SNOMED/RxNorm are licence-gated, and the npm and
 * Debian medical word lists have no categories or synonyms). Each concept has a category (problem,
 * medication, anatomy, procedure, finding) and an IDF in [0, 1] measured over the training encounters.
 *
 * Matching runs a token trie over the lowercased text, emitting every lexicon phrase found at every
 * position ("left knee pain" also yields "knee pain", "knee" and "pain"), so overlap is partial-credit.
 * Concept ids are indexes into the lexicon; they change when the lexicon is rebuilt, so stored ids
 * should be saved with `LEXICON_VERSION` and recomputed when it differs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type ConceptCategory = 'problem' | 'medication' | 'anatomy' | 'procedure' | 'finding';

interface LexiconFile {
  format: number;
  categories: ConceptCategory[];
  concepts: Array<[name: string, category: number, idf: number]>;
  surfaces: Array<[surface: string, concept: number]>;
}

const lexiconText = readFileSync(new URL('./lexicon.json', import.meta.url), 'utf8');
const lexicon = JSON.parse(lexiconText) as LexiconFile;

/** Content hash of the lexicon: store it beside concept ids; ids from another version must be recomputed. */
export const LEXICON_VERSION: string = createHash('sha256').update(lexiconText).digest('hex').slice(0, 16);

export const CONCEPT_COUNT: number = lexicon.concepts.length;
const conceptNames: string[] = lexicon.concepts.map((c) => c[0]);
const conceptCategories: ConceptCategory[] = lexicon.concepts.map((c) => lexicon.categories[c[1]]!);
/** IDF of each concept id, in [0, 1]. */
export const conceptIdf: Float64Array = Float64Array.from(lexicon.concepts, (c) => c[2]);

// Trie over word ids: transitions keyed by node * WORD_SPACE + wordId in one Map (no per-node objects).
const wordIds = new Map<string, number>();
const transitions = new Map<number, number>();
const nodeConcept: number[] = [-1]; // node 0 is the root
const WORD_SPACE = 1 << 20;

function addSurface(surface: string, concept: number): void {
  let node = 0;
  for (const word of surface.split(' ')) {
    let wordId = wordIds.get(word);
    if (wordId === undefined) {
      wordId = wordIds.size;
      wordIds.set(word, wordId);
    }
    const key = node * WORD_SPACE + wordId;
    let next = transitions.get(key);
    if (next === undefined) {
      next = nodeConcept.length;
      nodeConcept.push(-1);
      transitions.set(key, next);
    }
    node = next;
  }
  nodeConcept[node] = concept;
}
lexicon.concepts.forEach(([name], id) => addSurface(name, id));
for (const [surface, concept] of lexicon.surfaces) addSurface(surface, concept);
const nodeConceptIds = Int32Array.from(nodeConcept);

/** Lowercased [a-z0-9]+ word ids of the text; -1 for words outside the lexicon. */
function lexiconWordIds(text: string): Int32Array {
  const lower = text.toLowerCase();
  const ids = new Int32Array((lower.length >> 1) + 1);
  let count = 0;
  let start = -1;
  for (let i = 0; i <= lower.length; i++) {
    const code = i < lower.length ? lower.charCodeAt(i) : 32;
    const isWordChar = (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
    if (isWordChar) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      ids[count++] = wordIds.get(lower.slice(start, i)) ?? -1;
      start = -1;
    }
  }
  return ids.subarray(0, count);
}

function forEachConcept(text: string, visit: (concept: number) => void): void {
  const words = lexiconWordIds(text);
  for (let i = 0; i < words.length; i++) {
    let node = 0;
    for (let j = i; j < words.length; j++) {
      const word = words[j]!;
      if (word < 0) break;
      const next = transitions.get(node * WORD_SPACE + word);
      if (next === undefined) break;
      node = next;
      const concept = nodeConceptIds[node]!;
      if (concept >= 0) visit(concept);
    }
  }
}

/** Concept name -> number of mentions in the text. */
export function extractConcepts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  forEachConcept(text, (concept) => {
    const name = conceptNames[concept]!;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  });
  return counts;
}

/** Sorted, unique concept ids of the text: compute once at save/import time and store. */
export function conceptIdsFor(text: string): Uint32Array {
  const seen = new Uint8Array(CONCEPT_COUNT);
  let count = 0;
  forEachConcept(text, (concept) => {
    if (seen[concept] === 0) {
      seen[concept] = 1;
      count++;
    }
  });
  const ids = new Uint32Array(count);
  for (let concept = 0, k = 0; concept < CONCEPT_COUNT; concept++) if (seen[concept] === 1) ids[k++] = concept;
  return ids;
}

/** Name and category of a concept id (for explanations and tests). */
export function describeConcept(id: number): { name: string; category: ConceptCategory; idf: number } | undefined {
  const name = conceptNames[id];
  if (name === undefined) return undefined;
  return { name, category: conceptCategories[id]!, idf: conceptIdf[id]! };
}

/** Concept id of a lexicon surface ("tylenol" -> acetaminophen's id), if any. */
export function conceptIdOf(surface: string): number | undefined {
  let found: number | undefined;
  const words = lexiconWordIds(surface);
  let node = 0;
  for (const word of words) {
    const next = word < 0 ? undefined : transitions.get(node * WORD_SPACE + word);
    if (next === undefined) return undefined;
    node = next;
  }
  const concept = nodeConceptIds[node]!;
  if (words.length > 0 && concept >= 0) found = concept;
  return found;
}

/** Sorted unique copy of stored ids (any order, duplicates allowed), dropping ids outside the lexicon. */
export function normaliseConceptIds(ids: ArrayLike<number>): Uint32Array {
  const sorted = Uint32Array.from(Array.from(ids).filter((id) => Number.isInteger(id) && id >= 0 && id < CONCEPT_COUNT)).sort();
  let unique = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[unique++] = sorted[i]!;
  return sorted.slice(0, unique);
}

/** Sum of squared IDF over sorted unique ids: the squared norm of the binary IDF-weighted concept vector. */
export function conceptWeightNorm(ids: ArrayLike<number>, start = 0, end = ids.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const idf = conceptIdf[ids[i]!] ?? 0;
    sum += idf * idf;
  }
  return sum;
}

/**
 * medical_relevance: cosine between binary IDF-weighted concept vectors,
 * Σ_{c∈T∩C} idf(c)² / √(Σ_T idf² · Σ_C idf²), in [0, 1]. Inputs are sorted unique ids; the candidate's
 * ids may be a slice [start, end) of a flat array, and norms may be precomputed.
 */
export function medicalRelevance(
  transcriptIds: ArrayLike<number>,
  transcriptNorm: number,
  candidateIds: ArrayLike<number>,
  candidateNorm: number,
  start = 0,
  end = candidateIds.length,
): number {
  if (transcriptNorm <= 0 || candidateNorm <= 0) return 0;
  let shared = 0;
  let i = 0;
  let j = start;
  while (i < transcriptIds.length && j < end) {
    const a = transcriptIds[i]!;
    const b = candidateIds[j]!;
    if (a === b) {
      const idf = conceptIdf[a]!;
      shared += idf * idf;
      i++;
      j++;
    } else if (a < b) i++;
    else j++;
  }
  return Math.min(1, shared / Math.sqrt(transcriptNorm * candidateNorm));
}

/** A lexicon phrase found in a text, with half-open character offsets of its surface. */
export interface ConceptMention {
  name: string;
  category: ConceptCategory;
  start: number;
  end: number;
}

/**
 * The longest lexicon phrase at each word of the text, left to right, without overlaps
 * ("left knee pain" is one mention). Offsets point into `text`, so a mention can be quoted as evidence.
 */
export function findConcepts(text: string): ConceptMention[] {
  const lower = text.toLowerCase();
  const words: { id: number; start: number; end: number }[] = [];
  for (const m of lower.matchAll(/[a-z0-9]+/g)) words.push({ id: wordIds.get(m[0]) ?? -1, start: m.index, end: m.index + m[0].length });
  const out: ConceptMention[] = [];
  for (let i = 0; i < words.length; i++) {
    let node = 0;
    let best: { concept: number; j: number } | undefined;
    for (let j = i; j < words.length; j++) {
      const word = words[j]!.id;
      const next = word < 0 ? undefined : transitions.get(node * WORD_SPACE + word);
      if (next === undefined) break;
      node = next;
      const concept = nodeConceptIds[node]!;
      if (concept >= 0) best = { concept, j };
    }
    if (!best) continue;
    out.push({ name: conceptNames[best.concept]!, category: conceptCategories[best.concept]!, start: words[i]!.start, end: words[best.j]!.end });
    i = best.j;
  }
  return out;
}
