import { createHash } from 'node:crypto';
import { metrics, type Counter, type Meter } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { CancelledError, DeadlineExceededError, throwIfAborted } from '@clinote/shared/errors.js';
import { cacheKey } from './cache-key.js';
import type { CallBounds, Embedder } from './embedder.js';
import type { PersistentEmbeddingStore } from './persistent-embedding-store.js';
import { packVector, unpackVector } from './vector-bytes.js';

export type EmbeddingSource = 'lru' | 'redis' | 'persistent' | 'near_duplicate' | 'provider';

export interface CachedEmbedding {
  vector: Float32Array;
  source: EmbeddingSource;
}

export interface EmbeddingCacheOptions {
  embedder: Embedder;
  /** Shared tier; null runs with the in-process and persistent tiers only. */
  redis: Redis | null;
  /** Persistent tier; null when no database is configured. */
  store: PersistentEmbeddingStore | null;
  lruMaxBytes: number;
  redisTtlSeconds: number;
  /** Every Redis call is abandoned after this long and counted as a miss. */
  redisTimeoutMs: number;
  batchMaxSize: number;
  batchMaxWaitMs: number;
  /** Namespaces the Redis keys; tests use a unique one per run. */
  redisKeyPrefix?: string;
  /** Reads from the persistent tier are abandoned after this long (a miss). */
  storeReadTimeoutMs?: number;
  /** Write-behind to Redis and the persistent tier is abandoned after this long. */
  storeWriteTimeoutMs?: number;
  /** Write-behind batches in flight at most; beyond it writes are dropped (and counted), never queued without bound. */
  maxPendingWrites?: number;
  meter?: Meter;
}

export interface EmbeddingCacheStats {
  hitRate: number;
  totalEntries: number;
  hitsLru: number;
  hitsRedis: number;
  hitsPersistent: number;
  misses: number;
  evictions: number;
  lruBytes: number;
  lruEntries: number;
  nearDuplicateReuses: number;
  providerCalls: number;
  providerTexts: number;
  singleFlightJoins: number;
  redisErrors: number;
  storeErrors: number;
  droppedWrites: number;
}

/** Recommended ioredis options for the shared tier: fail fast instead of queueing while Redis is away. */
export const EMBEDDING_CACHE_REDIS_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 50,
  connectTimeout: 1_000,
  retryStrategy: (attempt: number): number => Math.min(attempt * 100, 1_000),
} as const;

interface LruEntry {
  vector: Float32Array;
  /** Digest of the exact text that produced the entry; a hit from another text is a near-duplicate reuse. */
  rawDigest: string | undefined;
}

interface PendingMiss {
  key: string;
  text: string;
  rawDigest: string;
  promise: Promise<CachedEmbedding>;
  resolve: (value: CachedEmbedding) => void;
  reject: (error: unknown) => void;
  /** Callers still waiting; a caller without a signal or deadline never leaves (Infinity). */
  waiters: number;
  /** Latest deadline among the waiters; undefined if any waiter has none. */
  deadline: Date | undefined;
  batch: ProviderBatch | undefined;
}

/** One provider call: cancelled once no miss in it has a waiter left. */
interface ProviderBatch {
  controller: AbortController;
  wanted: number;
}

// Rough per-entry bookkeeping of lru-cache and the key string, added to the vector's bytes.
const LRU_ENTRY_OVERHEAD_BYTES = 200;
const ALIAS_ENTRY_BYTES = 300;
const TIMED_OUT = Symbol('timed out');

/**
 * Embeddings cached in three tiers: an in-process LRU bounded in bytes, Redis shared by all replicas,
 * and a persistent store that survives restarts of both. Identical concurrent requests share one
 * computation; concurrent misses are coalesced into one Redis MGET, one store read and one provider
 * call (at most `batchMaxSize` texts, waiting at most `batchMaxWaitMs`). Texts that differ only
 * trivially share a key (see normalizeForCache); there is no similarity-based reuse, so a clinically
 * different text always misses. Redis or store failures are misses, never errors to the caller.
 */
export class EmbeddingCache {
  private readonly embedder: Embedder;
  private readonly redis: Redis | null;
  private readonly store: PersistentEmbeddingStore | null;
  private readonly redisTtlSeconds: number;
  private readonly redisTimeoutMs: number;
  private readonly batchMaxSize: number;
  private readonly batchMaxWaitMs: number;
  private readonly redisKeyPrefix: string;
  private readonly storeReadTimeoutMs: number;
  private readonly storeWriteTimeoutMs: number;
  private readonly maxPendingWrites: number;

  private readonly lru: LRUCache<string, LruEntry>;
  /** Exact-text digest → normalised key, so repeated texts skip normalisation on the hot path. */
  private readonly aliases: LRUCache<string, string>;
  private readonly inFlight = new Map<string, PendingMiss>();
  /** Misses waiting for one shared Redis MGET and store read (gathered for one event-loop turn). */
  private lookupQueue: PendingMiss[] = [];
  private lookupScheduled = false;
  /** Misses no tier had, waiting for one provider call (gathered for up to batchMaxWaitMs). */
  private providerQueue: PendingMiss[] = [];
  private providerTimer: NodeJS.Timeout | undefined;
  private readonly pendingWrites = new Set<Promise<void>>();

  private readonly counts = {
    hitsLru: 0,
    hitsRedis: 0,
    hitsPersistent: 0,
    misses: 0,
    evictions: 0,
    nearDuplicateReuses: 0,
    providerCalls: 0,
    providerTexts: 0,
    singleFlightJoins: 0,
    redisErrors: 0,
    storeErrors: 0,
    droppedWrites: 0,
  };
  private persistentCount: number | undefined;
  private writtenSinceCount = 0;

  private readonly hitsCounter: Counter;
  private readonly missesCounter: Counter;
  private readonly evictionsCounter: Counter;
  private readonly providerCallsCounter: Counter;
  private readonly redisErrorsCounter: Counter;

  constructor(opts: EmbeddingCacheOptions) {
    if (opts.lruMaxBytes <= 0 || opts.batchMaxSize <= 0 || opts.batchMaxWaitMs < 0 || opts.redisTimeoutMs <= 0) {
      throw new RangeError('lruMaxBytes, batchMaxSize and redisTimeoutMs must be positive, batchMaxWaitMs ≥ 0');
    }
    this.embedder = opts.embedder;
    this.redis = opts.redis;
    this.store = opts.store;
    this.redisTtlSeconds = opts.redisTtlSeconds;
    this.redisTimeoutMs = opts.redisTimeoutMs;
    this.batchMaxSize = opts.batchMaxSize;
    this.batchMaxWaitMs = opts.batchMaxWaitMs;
    this.redisKeyPrefix = opts.redisKeyPrefix ?? 'clinote:embedding:';
    this.storeReadTimeoutMs = opts.storeReadTimeoutMs ?? 500;
    this.storeWriteTimeoutMs = opts.storeWriteTimeoutMs ?? 5_000;
    this.maxPendingWrites = opts.maxPendingWrites ?? 256;

    this.lru = new LRUCache<string, LruEntry>({
      maxSize: opts.lruMaxBytes,
      sizeCalculation: (entry) => entry.vector.byteLength + LRU_ENTRY_OVERHEAD_BYTES,
      dispose: (_entry, _key, reason) => {
        if (reason === 'evict') {
          this.counts.evictions++;
          this.evictionsCounter.add(1);
        }
      },
    });
    this.aliases = new LRUCache<string, string>({
      max: Math.max(1_024, Math.floor(opts.lruMaxBytes / 16 / ALIAS_ENTRY_BYTES)),
    });

    const meter = opts.meter ?? metrics.getMeter('clinote-embedding');
    this.hitsCounter = meter.createCounter('embedding_cache_hits_total', { description: 'Embedding cache hits by tier' });
    this.missesCounter = meter.createCounter('embedding_cache_misses_total', { description: 'Embeddings computed by the provider' });
    this.evictionsCounter = meter.createCounter('embedding_cache_evictions_total', { description: 'In-process LRU evictions' });
    this.providerCallsCounter = meter.createCounter('embedding_provider_calls_total', { description: 'Batched provider calls' });
    this.redisErrorsCounter = meter.createCounter('embedding_cache_redis_errors_total', { description: 'Redis calls failed or timed out' });
    meter
      .createObservableGauge('embedding_cache_lru_bytes', { description: 'Bytes held by the in-process tier', unit: 'By' })
      .addCallback((result) => result.observe(this.lru.calculatedSize));
  }

  /** Embeds `texts` in order, from the cheapest tier that has each one. */
  async embedMany(texts: string[], bounds: CallBounds): Promise<CachedEmbedding[]> {
    throwIfAborted(bounds.signal);
    const results = new Array<CachedEmbedding | undefined>(texts.length);
    const waits: Promise<void>[] = [];
    const pendingByKey = new Map<string, { miss: PendingMiss; indexes: number[] }>();

    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]!;
      const rawDigest = this.rawDigest(text);
      const key = this.keyFor(text, rawDigest);

      const entry = this.lru.get(key);
      if (entry) {
        results[i] = this.lruHit(entry, rawDigest);
        continue;
      }
      const pending = pendingByKey.get(key);
      if (pending) {
        pending.indexes.push(i);
        continue;
      }
      let miss = this.inFlight.get(key);
      if (miss) {
        this.counts.singleFlightJoins++;
        joinWaiter(miss, bounds);
      } else {
        miss = this.enqueueMiss(key, text, rawDigest, bounds);
      }
      pendingByKey.set(key, { miss, indexes: [i] });
    }

    for (const { miss, indexes } of pendingByKey.values()) {
      waits.push(
        withinBounds(miss.promise, bounds, () => leaveWaiter(miss)).then((value) => {
          for (const index of indexes) results[index] = value;
        }),
      );
    }
    if (waits.length > 0) await Promise.all(waits);
    return results as CachedEmbedding[];
  }

  /** Loads the most recently used persistent entries into the in-process tier; returns how many. */
  async warm(limit: number): Promise<number> {
    if (!this.store || limit <= 0) return 0;
    const hot = await this.store.hottest(limit);
    let loaded = 0;
    // Oldest first, so the hottest end up most recently used in the LRU.
    for (let i = hot.length - 1; i >= 0; i--) {
      const { key, vector } = hot[i]!;
      if (vector.length !== this.embedder.dimensions) continue;
      this.lru.set(key, { vector, rawDigest: undefined });
      loaded++;
    }
    await this.refreshTotalEntries();
    return loaded;
  }

  /** Re-reads the persistent entry count used by stats().totalEntries. */
  async refreshTotalEntries(): Promise<number> {
    if (!this.store) return this.lru.size;
    try {
      this.persistentCount = await this.store.count();
      this.writtenSinceCount = 0;
    } catch {
      this.counts.storeErrors++;
    }
    return this.stats().totalEntries;
  }

  stats(): EmbeddingCacheStats {
    const c = this.counts;
    const hits = c.hitsLru + c.hitsRedis + c.hitsPersistent;
    const lookups = hits + c.misses;
    const totalEntries =
      this.persistentCount !== undefined
        ? Math.max(this.persistentCount + this.writtenSinceCount, this.lru.size)
        : this.lru.size;
    return {
      ...c,
      hitRate: lookups === 0 ? 0 : hits / lookups,
      totalEntries,
      lruBytes: this.lru.calculatedSize,
      lruEntries: this.lru.size,
    };
  }

  /** Waits for every write-behind to Redis and the persistent tier started so far. */
  async flush(): Promise<void> {
    while (this.pendingWrites.size > 0 || this.inFlight.size > 0) {
      if (this.providerQueue.length > 0) this.dispatchProvider();
      await Promise.allSettled([...this.pendingWrites, ...[...this.inFlight.values()].map((m) => m.promise)]);
    }
  }

  private lruHit(entry: LruEntry, rawDigest: string): CachedEmbedding {
    this.counts.hitsLru++;
    this.hitsCounter.add(1, { tier: 'lru' });
    if (entry.rawDigest === undefined) entry.rawDigest = rawDigest;
    if (entry.rawDigest !== rawDigest) {
      this.counts.nearDuplicateReuses++;
      return { vector: entry.vector, source: 'near_duplicate' };
    }
    return { vector: entry.vector, source: 'lru' };
  }

  private rawDigest(text: string): string {
    return createHash('sha256')
      .update(this.embedder.model)
      .update('\u0000')
      .update(this.embedder.version)
      .update('\u0000')
      .update(text)
      .digest('base64url');
  }

  private keyFor(text: string, rawDigest: string): string {
    let key = this.aliases.get(rawDigest);
    if (key === undefined) {
      key = cacheKey(this.embedder.model, this.embedder.version, text);
      this.aliases.set(rawDigest, key);
    }
    return key;
  }

  private enqueueMiss(key: string, text: string, rawDigest: string, bounds: CallBounds): PendingMiss {
    let resolve!: (value: CachedEmbedding) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<CachedEmbedding>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A rejected computation must not surface as unhandled when every waiter has given up.
    promise.catch(() => undefined);
    const miss: PendingMiss = { key, text, rawDigest, promise, resolve, reject, waiters: 0, deadline: bounds.deadline, batch: undefined };
    joinWaiter(miss, bounds);
    this.inFlight.set(key, miss);
    this.lookupQueue.push(miss);
    if (!this.lookupScheduled) {
      this.lookupScheduled = true;
      setImmediate(() => this.dispatchLookups());
    }
    return miss;
  }

  // Shared tiers are asked at once (no waiting window: a Redis hit should cost one round trip).
  private dispatchLookups(): void {
    this.lookupScheduled = false;
    while (this.lookupQueue.length > 0) void this.lookUp(this.lookupQueue.splice(0, this.batchMaxSize));
  }

  private async lookUp(batch: PendingMiss[]): Promise<void> {
    let remaining = batch;
    try {
      remaining = await this.fromRedis(remaining);
      remaining = await this.fromStore(remaining);
    } catch {
      // A failing shared tier is a miss; the provider still answers.
    }
    if (remaining.length > 0) this.enqueueForProvider(remaining);
  }

  private enqueueForProvider(misses: PendingMiss[]): void {
    this.providerQueue.push(...misses);
    if (this.providerQueue.length >= this.batchMaxSize) {
      this.dispatchProvider();
    } else if (this.providerTimer === undefined) {
      this.providerTimer = setTimeout(() => this.dispatchProvider(), this.batchMaxWaitMs);
    }
  }

  private dispatchProvider(): void {
    if (this.providerTimer !== undefined) {
      clearTimeout(this.providerTimer);
      this.providerTimer = undefined;
    }
    while (this.providerQueue.length > 0) {
      const batch = this.providerQueue.splice(0, this.batchMaxSize);
      void this.fromProvider(batch).catch((error: unknown) => {
        for (const miss of batch) this.settle(miss, undefined, error);
      });
    }
  }

  private async fromRedis(batch: PendingMiss[]): Promise<PendingMiss[]> {
    const redis = this.redis;
    if (!redis || batch.length === 0) return batch;
    if (redis.status !== 'ready') {
      this.redisFailed();
      return batch;
    }
    const values = await this.boundRedis(redis.mgetBuffer(...batch.map((m) => this.redisKey(m.key))));
    if (!values) return batch;
    const remaining: PendingMiss[] = [];
    batch.forEach((miss, i) => {
      const bytes = values[i];
      const vector = bytes ? unpackVector(bytes, this.embedder.dimensions) : undefined;
      if (!vector) {
        remaining.push(miss);
        return;
      }
      this.counts.hitsRedis++;
      this.hitsCounter.add(1, { tier: 'redis' });
      this.lru.set(miss.key, { vector, rawDigest: miss.rawDigest });
      this.settle(miss, { vector, source: 'redis' });
    });
    return remaining;
  }

  private async fromStore(batch: PendingMiss[]): Promise<PendingMiss[]> {
    const store = this.store;
    if (!store || batch.length === 0) return batch;
    let found: Map<string, Float32Array> | undefined;
    try {
      const result = await withTimeout(store.getMany(batch.map((m) => m.key)), this.storeReadTimeoutMs);
      if (result === TIMED_OUT) this.counts.storeErrors++;
      else found = result;
    } catch {
      this.counts.storeErrors++;
    }
    if (!found || found.size === 0) return batch;
    const remaining: PendingMiss[] = [];
    const backfill: { key: string; vector: Float32Array }[] = [];
    for (const miss of batch) {
      const vector = found.get(miss.key);
      if (!vector || vector.length !== this.embedder.dimensions) {
        remaining.push(miss);
        continue;
      }
      this.counts.hitsPersistent++;
      this.hitsCounter.add(1, { tier: 'persistent' });
      this.lru.set(miss.key, { vector, rawDigest: miss.rawDigest });
      backfill.push({ key: miss.key, vector });
      this.settle(miss, { vector, source: 'persistent' });
    }
    // Refill Redis (e.g. after it restarted empty) so other replicas hit there.
    this.writeBehind(() => this.writeRedis(backfill));
    return remaining;
  }

  private async fromProvider(batch: PendingMiss[]): Promise<void> {
    this.counts.misses += batch.length;
    this.missesCounter.add(batch.length);
    this.counts.providerCalls++;
    this.counts.providerTexts += batch.length;
    this.providerCallsCounter.add(1);
    const vectors = await this.embedder.embed(
      batch.map((m) => m.text),
      providerBounds(batch),
    );
    if (vectors.length !== batch.length) throw new Error('embedder returned a different number of vectors');
    const written: { key: string; model: string; vector: Float32Array }[] = [];
    batch.forEach((miss, i) => {
      const vector = vectors[i]!;
      this.lru.set(miss.key, { vector, rawDigest: miss.rawDigest });
      written.push({ key: miss.key, model: this.embedder.model, vector });
      this.settle(miss, { vector, source: 'provider' });
    });
    this.writtenSinceCount += written.length;
    this.writeBehind(async () => {
      await Promise.all([this.writeRedis(written), this.writeStore(written)]);
    });
  }

  private settle(miss: PendingMiss, value: CachedEmbedding | undefined, error?: unknown): void {
    if (this.inFlight.get(miss.key) === miss) this.inFlight.delete(miss.key);
    if (value) miss.resolve(value);
    else miss.reject(error);
  }

  private writeBehind(write: () => Promise<void>): void {
    if (this.pendingWrites.size >= this.maxPendingWrites) {
      this.counts.droppedWrites++;
      return;
    }
    const pending: Promise<void> = write()
      .catch(() => undefined)
      .finally(() => this.pendingWrites.delete(pending));
    this.pendingWrites.add(pending);
  }

  private async writeRedis(entries: { key: string; vector: Float32Array }[]): Promise<void> {
    const redis = this.redis;
    if (!redis || entries.length === 0) return;
    if (redis.status !== 'ready') {
      this.redisFailed();
      return;
    }
    const pipeline = redis.pipeline();
    for (const e of entries) pipeline.setex(this.redisKey(e.key), this.redisTtlSeconds, packVector(e.vector));
    const results = await this.boundRedis(pipeline.exec());
    if (results?.some(([error]) => error)) this.redisFailed();
  }

  private async writeStore(entries: { key: string; model: string; vector: Float32Array }[]): Promise<void> {
    if (!this.store || entries.length === 0) return;
    try {
      const result = await withTimeout(this.store.putMany(entries), this.storeWriteTimeoutMs);
      if (result === TIMED_OUT) this.counts.storeErrors++;
    } catch {
      this.counts.storeErrors++;
    }
  }

  /** A Redis call that answers within redisTimeoutMs, or undefined (counted) on failure or timeout. */
  private async boundRedis<T>(call: Promise<T>): Promise<T | undefined> {
    try {
      const result = await withTimeout(call, this.redisTimeoutMs);
      if (result !== TIMED_OUT) return result;
    } catch {
      // counted below
    }
    this.redisFailed();
    return undefined;
  }

  private redisFailed(): void {
    this.counts.redisErrors++;
    this.redisErrorsCounter.add(1);
  }

  private redisKey(key: string): string {
    return `${this.redisKeyPrefix}${key}`;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  // The abandoned call may still fail later; that must not become an unhandled rejection.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function joinWaiter(miss: PendingMiss, bounds: CallBounds): void {
  miss.waiters += bounds.signal || bounds.deadline ? 1 : Infinity;
  if (!bounds.deadline) miss.deadline = undefined;
  else if (miss.deadline && bounds.deadline > miss.deadline) miss.deadline = bounds.deadline;
}

/** A waiter gave up; once nobody waits for any text of a provider call, the call is cancelled. */
function leaveWaiter(miss: PendingMiss): void {
  miss.waiters--;
  if (miss.waiters > 0 || !miss.batch) return;
  miss.batch.wanted--;
  if (miss.batch.wanted === 0) miss.batch.controller.abort(new CancelledError('every caller gave up'));
}

/** Bounds of one provider call serving several callers: the latest deadline, cancelled when all left. */
function providerBounds(batch: PendingMiss[]): CallBounds {
  const batchControl: ProviderBatch = { controller: new AbortController(), wanted: 0 };
  let deadline: Date | undefined = batch[0]?.deadline;
  for (const miss of batch) {
    miss.batch = batchControl;
    if (miss.waiters > 0) batchControl.wanted++;
    if (!miss.deadline) deadline = undefined;
    else if (deadline && miss.deadline > deadline) deadline = miss.deadline;
  }
  if (batchControl.wanted === 0) batchControl.controller.abort(new CancelledError('every caller gave up'));
  return { signal: batchControl.controller.signal, deadline };
}

/** Waits for a shared computation, but gives up on the caller's own cancellation or deadline. */
function withinBounds<T>(promise: Promise<T>, bounds: CallBounds, onGiveUp: () => void): Promise<T> {
  const { signal, deadline } = bounds;
  if (!signal && !deadline) return promise;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const giveUp = (error: unknown): void => {
      cleanup();
      onGiveUp();
      reject(error);
    };
    function onAbort(): void {
      const reason: unknown = signal?.reason;
      giveUp(reason instanceof DeadlineExceededError || reason instanceof CancelledError ? reason : new CancelledError('call cancelled'));
    }
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadline) {
      timer = setTimeout(
        () => giveUp(new DeadlineExceededError('embedding deadline exceeded')),
        Math.max(0, deadline.getTime() - Date.now()),
      );
    }
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}
