/**
 * A user's past encounters packed for context selection: embeddings in one WebAssembly memory
 * (n × stride float32, rows zero-padded to a multiple of 16), and parallel typed arrays for the
 * other factors' inputs. Similarity retrieval is an exact flat scan with a SIMD kernel
 * (similarity-kernel.wat), about 0.04 µs per candidate at 256 dimensions and 0.2 µs at 768, so
 * no approximate index is needed at 100k candidates per user.
 *
 * Patient text never enters the pool: only ids, vectors, concept ids, section names and numbers.
 */
import { LRUCache } from 'lru-cache';
import { ValidationError } from '@clinote/shared/errors.js';
import { conceptWeightNorm, normaliseConceptIds } from '@clinote/shared/clinical-lexicon/concepts.js';
import { laterMark, type HistoryMark } from './pool-freshness.js';
import { canonicalFilledKeys } from './sections.js';
import { SIMILARITY_KERNEL_WASM } from './similarity-kernel.js';

/** One past encounter as selection needs it; its text stays in the database. */
export interface CandidateRecord {
  id: string;
  /** Embedding of the encounter's transcript, same model and dimension as the request's. */
  embedding: Float32Array;
  /** Stored extraction_quality in [0, 1]. */
  qualityScore: number;
  /** Concept ids from `conceptIdsFor(transcript)` (any order; normalised on insert). */
  conceptIds: ArrayLike<number>;
  /** Section titles / field keys its note or result fills (see `filledSectionsOf`); canonicalised on insert. */
  filledSections: readonly string[];
  /** Tokens this encounter costs as a few-shot example (transcript + note), from `countTokens`. */
  tokenCount: number;
  createdAt: Date;
}

const PAGE_BYTES = 65536;
/** Rows scored per kernel call; the scores area holds one chunk. */
const SCAN_CHUNK = 4096;

// The root tsconfig has no DOM lib, so the few WebAssembly JS API members used here are typed locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let kernelModule: object | undefined;
function similarityKernel(): object {
  kernelModule ??= new wasm.Module(Buffer.from(SIMILARITY_KERNEL_WASM, 'base64'));
  return kernelModule;
}

type DotRows = (rows: number, n: number, stride: number, query: number, scores: number) => void;

/** Shortlist of the most similar candidates, best first. */
export interface SimilarityShortlist {
  /** Row indexes into the pool. */
  indexes: Int32Array;
  /** Cosine similarity of each, not clamped. */
  similarities: Float32Array;
}

export class CandidatePool {
  readonly dimension: number;
  /** Float32 row length in the memory: dimension rounded up to 16 for the SIMD kernel. */
  readonly stride: number;
  private readonly memory: WasmMemory;
  private readonly dotRows: DotRows;
  private readonly queryOffset = 0;
  private readonly scoresOffset: number;
  private readonly rowsOffset: number;
  private view: Float32Array;
  private capacity = 0;
  private count = 0;

  private idList: string[] = [];
  private readonly indexById = new Map<string, number>();
  private quality = new Float32Array(0);
  private tokens = new Uint32Array(0);
  private created = new Float64Array(0);
  private conceptNorm = new Float64Array(0);
  private conceptStart = new Uint32Array(0);
  private conceptEnd = new Uint32Array(0);
  private conceptFlat = new Uint32Array(0);
  private conceptUsed = 0;
  private filled: Array<ReadonlySet<string>> = [];
  /** Concept slots no row points at any more (replaced or evicted rows); compacted past half. */
  private conceptGarbage = 0;
  private readonly internedKeys = new Map<string, string>();
  /** The clinician's history mark this pool holds every encounter up to (set by the cache). */
  history: HistoryMark | undefined;

  constructor(dimension: number, initialCapacity = 64) {
    if (!Number.isInteger(dimension) || dimension <= 0) {
      throw ValidationError.field('embedding', 'dimension must be a positive integer');
    }
    this.dimension = dimension;
    this.stride = Math.ceil(dimension / 16) * 16;
    this.scoresOffset = this.stride * 4;
    this.rowsOffset = Math.ceil((this.scoresOffset + SCAN_CHUNK * 4) / 64) * 64;
    this.memory = new wasm.Memory({ initial: Math.ceil(this.rowsOffset / PAGE_BYTES) + 1 });
    const instance = new wasm.Instance(similarityKernel(), { env: { memory: this.memory } });
    this.dotRows = instance.exports.dotRows as DotRows;
    this.view = new Float32Array(this.memory.buffer);
    this.reserve(Math.max(1, initialCapacity));
  }

  /** Builds a pool from loaded records; the dimension comes from the first record. */
  static from(records: readonly CandidateRecord[], dimension?: number): CandidatePool {
    const dim = dimension ?? records[0]?.embedding.length ?? 0;
    const pool = new CandidatePool(dim > 0 ? dim : 1, records.length);
    for (const record of records) pool.upsert(record);
    return pool;
  }

  get size(): number {
    return this.count;
  }

  /** Approximate bytes held, for the cache's memory bound. */
  get byteSize(): number {
    return this.memory.buffer.byteLength + this.capacity * 40 + this.conceptFlat.byteLength;
  }

  has(id: string): boolean {
    return this.indexById.has(id);
  }

  idAt(index: number): string {
    return this.idList[index]!;
  }
  qualityAt(index: number): number {
    return this.quality[index]!;
  }
  tokenCountAt(index: number): number {
    return this.tokens[index]!;
  }
  createdAtMs(index: number): number {
    return this.created[index]!;
  }
  filledSectionsAt(index: number): ReadonlySet<string> {
    return this.filled[index]!;
  }
  /** Sorted concept ids of a candidate as a view into the flat array (do not keep it across appends). */
  conceptIdsAt(index: number): Uint32Array {
    return this.conceptFlat.subarray(this.conceptStart[index]!, this.conceptEnd[index]!);
  }
  conceptNormAt(index: number): number {
    return this.conceptNorm[index]!;
  }

  /** Adds a record, or replaces the one with the same id (a re-saved encounter). */
  upsert(record: CandidateRecord): void {
    if (record.embedding.length !== this.dimension) {
      throw ValidationError.field('embedding', `expected ${this.dimension} dimensions, got ${record.embedding.length}`);
    }
    let index = this.indexById.get(record.id);
    if (index === undefined) {
      if (this.count === this.capacity) this.reserve(Math.max(16, Math.ceil(this.capacity * 1.5)));
      index = this.count++;
      this.indexById.set(record.id, index);
      this.idList[index] = record.id;
    }
    this.writeEmbedding(index, record.embedding);
    this.quality[index] = clamp01(record.qualityScore);
    this.tokens[index] = Math.max(0, Math.round(record.tokenCount));
    this.created[index] = record.createdAt.getTime();

    const ids = normaliseConceptIds(record.conceptIds);
    const start = this.conceptStart[index]!;
    const oldLength = this.conceptEnd[index]! - start;
    // In place when the new list fits the old slot; otherwise at the end (replacements are rare).
    const inPlace = ids.length <= oldLength;
    const target = inPlace ? start : this.conceptUsed;
    if (!inPlace) {
      this.conceptGarbage += oldLength;
      this.reserveConcepts(this.conceptUsed + ids.length);
      this.conceptUsed += ids.length;
    } else {
      this.conceptGarbage += oldLength - ids.length;
    }
    this.conceptFlat.set(ids, target);
    this.conceptStart[index] = target;
    this.conceptEnd[index] = target + ids.length;
    this.conceptNorm[index] = conceptWeightNorm(ids);

    this.filled[index] = new Set(canonicalFilledKeys(record.filledSections).map((key) => this.intern(key)));
  }

  /** Drops the oldest candidates (by creation time) until at most `max` remain; how many were dropped. */
  evictOldest(max: number): number {
    let dropped = 0;
    while (this.count > Math.max(0, max)) {
      let oldest = 0;
      for (let i = 1; i < this.count; i++) if (this.created[i]! < this.created[oldest]!) oldest = i;
      this.removeAt(oldest);
      dropped++;
    }
    if (dropped > 0) this.compactConceptsIfSparse();
    return dropped;
  }

  /**
   * Exact cosine top-k against every candidate. The query is normalised here; stored rows were
   * normalised on insert, so a dot product is the cosine.
   */
  topBySimilarity(query: Float32Array, k: number): SimilarityShortlist {
    if (query.length !== this.dimension) {
      throw ValidationError.field('transcript_embedding', `expected ${this.dimension} dimensions, got ${query.length}`);
    }
    const want = Math.min(Math.max(0, Math.floor(k)), this.count);
    const heapIndex = new Int32Array(want);
    const heapScore = new Float32Array(want);
    if (want === 0) return { indexes: heapIndex, similarities: heapScore };

    const view = this.view;
    const q = this.queryOffset >> 2;
    const norm = vectorNorm(query);
    for (let j = 0; j < this.dimension; j++) view[q + j] = norm > 0 ? query[j]! / norm : 0;
    view.fill(0, q + this.dimension, q + this.stride);

    // Min-heap of the best `want` similarities seen so far.
    let heapSize = 0;
    const scoresBase = this.scoresOffset >> 2;
    for (let first = 0; first < this.count; first += SCAN_CHUNK) {
      const rows = Math.min(SCAN_CHUNK, this.count - first);
      this.dotRows(this.rowsOffset + first * this.stride * 4, rows, this.stride, this.queryOffset, this.scoresOffset);
      for (let r = 0; r < rows; r++) {
        const score = view[scoresBase + r]!;
        if (heapSize < want) {
          siftUp(heapIndex, heapScore, heapSize++, first + r, score);
        } else if (score > heapScore[0]!) {
          siftDown(heapIndex, heapScore, heapSize, first + r, score);
        }
      }
    }
    // Heap -> descending order.
    const order = Array.from({ length: heapSize }, (_, i) => i).sort((a, b) => heapScore[b]! - heapScore[a]! || heapIndex[a]! - heapIndex[b]!);
    return {
      indexes: Int32Array.from(order, (i) => heapIndex[i]!),
      similarities: Float32Array.from(order, (i) => heapScore[i]!),
    };
  }

  /** Cosine between two stored candidates (for diversity among the shortlist). */
  similarityBetween(a: number, b: number): number {
    const view = this.view;
    const rowA = (this.rowsOffset >> 2) + a * this.stride;
    const rowB = (this.rowsOffset >> 2) + b * this.stride;
    let sum = 0;
    for (let j = 0; j < this.dimension; j++) sum += view[rowA + j]! * view[rowB + j]!;
    return sum;
  }

  private writeEmbedding(index: number, embedding: Float32Array): void {
    const row = (this.rowsOffset >> 2) + index * this.stride;
    const norm = vectorNorm(embedding);
    for (let j = 0; j < this.dimension; j++) this.view[row + j] = norm > 0 ? embedding[j]! / norm : 0;
    this.view.fill(0, row + this.dimension, row + this.stride);
  }

  /** Moves the last row into `index` (order carries no meaning). */
  private removeAt(index: number): void {
    const last = this.count - 1;
    this.indexById.delete(this.idList[index]!);
    this.conceptGarbage += this.conceptEnd[index]! - this.conceptStart[index]!;
    if (index !== last) {
      const lastId = this.idList[last]!;
      this.idList[index] = lastId;
      this.indexById.set(lastId, index);
      const base = this.rowsOffset >> 2;
      this.view.copyWithin(base + index * this.stride, base + last * this.stride, base + (last + 1) * this.stride);
      this.quality[index] = this.quality[last]!;
      this.tokens[index] = this.tokens[last]!;
      this.created[index] = this.created[last]!;
      this.conceptNorm[index] = this.conceptNorm[last]!;
      this.conceptStart[index] = this.conceptStart[last]!;
      this.conceptEnd[index] = this.conceptEnd[last]!;
      this.filled[index] = this.filled[last]!;
    }
    // A row appended here later must not take the moved row's concept slot as its own.
    this.conceptStart[last] = 0;
    this.conceptEnd[last] = 0;
    this.idList.length = last;
    this.filled.length = last;
    this.count = last;
  }

  private compactConceptsIfSparse(): void {
    if (this.conceptGarbage < 4096 || this.conceptGarbage * 2 < this.conceptUsed) return;
    const flat = new Uint32Array(Math.max(1024, this.conceptUsed - this.conceptGarbage));
    let used = 0;
    for (let i = 0; i < this.count; i++) {
      const start = this.conceptStart[i]!;
      const end = this.conceptEnd[i]!;
      flat.set(this.conceptFlat.subarray(start, end), used);
      this.conceptStart[i] = used;
      used += end - start;
      this.conceptEnd[i] = used;
    }
    this.conceptFlat = flat;
    this.conceptUsed = used;
    this.conceptGarbage = 0;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.capacity) return;
    const needed = this.rowsOffset + capacity * this.stride * 4;
    const have = this.memory.buffer.byteLength;
    if (needed > have) {
      this.memory.grow(Math.ceil((needed - have) / PAGE_BYTES));
      this.view = new Float32Array(this.memory.buffer);
    }
    this.quality = grow(this.quality, capacity);
    this.tokens = grow(this.tokens, capacity);
    this.created = grow(this.created, capacity);
    this.conceptNorm = grow(this.conceptNorm, capacity);
    this.conceptStart = grow(this.conceptStart, capacity);
    this.conceptEnd = grow(this.conceptEnd, capacity);
    this.capacity = capacity;
  }

  private reserveConcepts(length: number): void {
    if (length <= this.conceptFlat.length) return;
    this.conceptFlat = grow(this.conceptFlat, Math.max(length, Math.ceil(this.conceptFlat.length * 1.5), 1024));
  }

  private intern(key: string): string {
    const existing = this.internedKeys.get(key);
    if (existing !== undefined) return existing;
    this.internedKeys.set(key, key);
    return key;
  }
}

type TypedArray = Float32Array | Float64Array | Uint32Array;
function grow<T extends TypedArray>(array: T, length: number): T {
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  return next;
}

function vectorNorm(vector: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < vector.length; j++) sum += vector[j]! * vector[j]!;
  return Math.sqrt(sum);
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

function siftUp(indexes: Int32Array, scores: Float32Array, position: number, index: number, score: number): void {
  let i = position;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (scores[parent]! <= score) break;
    indexes[i] = indexes[parent]!;
    scores[i] = scores[parent]!;
    i = parent;
  }
  indexes[i] = index;
  scores[i] = score;
}

/** Replaces the heap's minimum with (index, score) and restores the heap. */
function siftDown(indexes: Int32Array, scores: Float32Array, size: number, index: number, score: number): void {
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) break;
    const right = left + 1;
    const child = right < size && scores[right]! < scores[left]! ? right : left;
    if (scores[child]! >= score) break;
    indexes[i] = indexes[child]!;
    scores[i] = scores[child]!;
    i = child;
  }
  indexes[i] = index;
  scores[i] = score;
}

export interface CandidatePoolCacheOptions {
  /** Users whose pools stay warm (least recently used evicted first). */
  maxUsers?: number;
  /** Bound on the pools' total bytes. */
  maxBytes?: number;
  /** Candidates per pool: the oldest are dropped beyond it (CONTEXT_POOL_MAX_ENCOUNTERS). */
  maxEncounters?: number;
}

export interface CandidatePoolCacheStats {
  users: number;
  bytes: number;
  hits: number;
  loads: number;
  /** Concurrent gets that waited on another caller's load instead of loading again. */
  coalesced: number;
  appends: number;
  /** Warm pools brought current with only the encounters stored since their mark. */
  extends: number;
  /** Candidate rows loaded from the database, by full loads and extensions. */
  rowsLoaded: number;
}

interface PendingLoad {
  promise: Promise<CandidatePool>;
  /** Saves that arrived while loading; applied on top of the loaded records. */
  appended: CandidateRecord[];
}

/**
 * Warm candidate pools keyed by user id: single-flight loads, an LRU bound on users and bytes,
 * `append` for saves (no reload) and `invalidate` when a user's encounters change otherwise.
 */
export class CandidatePoolCache {
  private readonly pools: LRUCache<string, CandidatePool>;
  private readonly loading = new Map<string, PendingLoad>();
  private counters = { hits: 0, loads: 0, coalesced: 0, appends: 0, extends: 0, rowsLoaded: 0 };
  private readonly maxEncounters: number;

  constructor(options: CandidatePoolCacheOptions = {}) {
    this.pools = new LRUCache<string, CandidatePool>({
      max: options.maxUsers ?? 1000,
      maxSize: options.maxBytes ?? 4 * 1024 ** 3,
      sizeCalculation: (pool) => Math.max(1, pool.byteSize),
    });
    this.maxEncounters = options.maxEncounters ?? Number.POSITIVE_INFINITY;
  }

  /**
   * The user's pool, loading it once however many requests ask at the same time. `history` is the
   * mark read before the loader's query: the loaded pool holds at least every encounter up to it.
   */
  get(userId: string, loader: () => Promise<CandidateRecord[]>, history?: HistoryMark): Promise<CandidatePool> {
    const cached = this.pools.get(userId);
    if (cached) {
      this.counters.hits++;
      return Promise.resolve(cached);
    }
    const pending = this.loading.get(userId);
    if (pending) {
      this.counters.coalesced++;
      return pending.promise;
    }
    this.counters.loads++;
    const entry: PendingLoad = { promise: undefined as unknown as Promise<CandidatePool>, appended: [] };
    entry.promise = (async () => {
      try {
        const records = await loader();
        this.counters.rowsLoaded += records.length;
        const dimension = records[0]?.embedding.length ?? entry.appended[0]?.embedding.length;
        const pool = CandidatePool.from(records, dimension);
        for (const record of entry.appended) pool.upsert(record);
        pool.evictOldest(this.maxEncounters);
        pool.history = history;
        // An invalidate during the load means the records may be stale: serve them, don't keep them.
        if (this.loading.get(userId) === entry) this.pools.set(userId, pool);
        return pool;
      } finally {
        if (this.loading.get(userId) === entry) this.loading.delete(userId);
      }
    })();
    this.loading.set(userId, entry);
    return entry.promise;
  }

  /**
   * Adds a just-saved encounter to a warm pool (or to a load in flight); a cold user loads it from the
   * database later. `historySeq`, the number it was stored with, moves the pool's mark when it is the next.
   */
  append(userId: string, record: CandidateRecord, historySeq?: number): void {
    const pool = this.pools.peek(userId);
    if (pool) {
      const target = pool.size === 0 && pool.dimension !== record.embedding.length ? CandidatePool.from([record]) : pool;
      // An empty pool's dimension was a placeholder.
      if (target !== pool) target.history = pool.history;
      else pool.upsert(record);
      target.evictOldest(this.maxEncounters);
      if (target.history && historySeq === target.history.seq + 1) target.history = { ...target.history, seq: historySeq };
      this.pools.set(userId, target); // re-measure its size
      this.counters.appends++;
      return;
    }
    const pending = this.loading.get(userId);
    if (pending) {
      pending.appended.push(record);
      this.counters.appends++;
    }
  }

  /**
   * Brings a warm pool current with the encounters stored since its mark (`history` read before
   * they were), keeping at most maxEncounters; a pool replaced or dropped meanwhile is left alone.
   */
  extend(userId: string, pool: CandidatePool, records: readonly CandidateRecord[], history: HistoryMark): void {
    this.counters.extends++;
    this.counters.rowsLoaded += records.length;
    for (const record of records) pool.upsert(record);
    pool.evictOldest(this.maxEncounters);
    pool.history = laterMark(pool.history, history);
    if (this.pools.peek(userId) === pool) this.pools.set(userId, pool); // re-measure its size
  }

  /** Drops the user's pool and any load in flight; the next get reloads. */
  invalidate(userId: string): void {
    this.pools.delete(userId);
    this.loading.delete(userId);
  }

  /** Drops every pool (and load in flight) whose key matches, e.g. all of an erased user's; how many pools were warm. */
  invalidateMatching(matches: (key: string) => boolean): number {
    let dropped = 0;
    for (const key of [...this.pools.keys()]) {
      if (!matches(key)) continue;
      this.pools.delete(key);
      dropped++;
    }
    for (const key of [...this.loading.keys()]) if (matches(key)) this.loading.delete(key);
    return dropped;
  }

  stats(): CandidatePoolCacheStats {
    return { users: this.pools.size, bytes: this.pools.calculatedSize, ...this.counters };
  }
}
