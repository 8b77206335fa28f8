import { createHash } from 'node:crypto';
import { metrics, type Counter, type Meter } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { CancelledError, DeadlineExceededError, UnavailableError, throwIfAborted } from '@clinote/shared/errors.js';
import { cacheKey, MIN_CACHE_KEY_SECRET_BYTES, userIndexTag } from './cache-key.js';
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
  /** Keys every entry (see cacheKey): at least 32 bytes, the same for every replica sharing Redis and the table. */
  keySecret: Buffer;
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

/** What erasing one user removed from each tier. */
export interface ErasedEntries {
  lruEntries: number;
  redisKeys: number;
  persistentEntries: number;
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
  /** Whose entry it is, so erasing a user finds their entries. */
  userId: string;
  vector: Float32Array;
  /** Digest of the exact text that produced the entry; a hit from another text is a near-duplicate reuse. */
  rawDigest: string | undefined;
}

interface PendingMiss {
  userId: string;
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
 *
 * Every entry belongs to one user: keys are per-user HMACs, so a text embedded by one clinician is a
 * miss for another (and `source` only ever describes the caller's own entries), near-duplicate reuse
 * stays within a user, and `eraseUser` removes a user's entries from every tier (Redis keeps a
 * per-user index of keys for it).
 */
export class EmbeddingCache {
  private readonly embedder: Embedder;
  private readonly keySecret: Buffer;
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
  /** Users being erased: nothing of theirs is cached until the erasure is done. */
  private readonly erasing = new Map<string, number>();

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
    if (opts.keySecret.byteLength < MIN_CACHE_KEY_SECRET_BYTES) {
      throw new RangeError(`keySecret must be at least ${MIN_CACHE_KEY_SECRET_BYTES} bytes`);
    }
    this.embedder = opts.embedder;
    this.keySecret = opts.keySecret;
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

  /** Embeds `texts` for one user, in order, from the cheapest tier that has each one among the user's entries. */
  async embedMany(userId: string, texts: string[], bounds: CallBounds): Promise<CachedEmbedding[]> {
    throwIfAborted(bounds.signal);
    const results = new Array<CachedEmbedding | undefined>(texts.length);
    const waits: Promise<void>[] = [];
    const pendingByKey = new Map<string, { miss: PendingMiss; indexes: number[] }>();

    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]!;
      const rawDigest = this.rawDigest(text);
      const key = this.keyFor(userId, text, rawDigest);

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
        miss = this.enqueueMiss(userId, key, text, rawDigest, bounds);
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
      const { userId, key, vector } = hot[i]!;
      if (vector.length !== this.embedder.dimensions) continue;
      this.lru.set(key, { userId, vector, rawDigest: undefined });
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

  /**
   * Removes every entry of the user from the in-process tier, Redis and the persistent tier. Nothing
   * of the user's is cached while it runs; write-behinds already under way are waited for first, so
   * none lands after the deletion. Idempotent: erasing an erased user removes nothing and succeeds.
   * Unlike lookups, a failing Redis or store is an error here (UNAVAILABLE): an erasure that could
   * not reach a tier must be retried, not reported done.
   */
  async eraseUser(userId: string): Promise<ErasedEntries> {
    this.erasing.set(userId, (this.erasing.get(userId) ?? 0) + 1);
    try {
      await this.settleInFlight();
      let lruEntries = 0;
      for (const [key, entry] of this.lru.entries()) {
        if (entry.userId !== userId) continue;
        this.lru.delete(key);
        lruEntries++;
      }
      const aliasPrefix = `${userId}\u0000`;
      for (const alias of [...this.aliases.keys()]) if (alias.startsWith(aliasPrefix)) this.aliases.delete(alias);
      const redisKeys = await this.eraseFromRedis(userId);
      const persistentEntries = this.store ? await this.store.eraseUser(userId) : 0;
      if (this.persistentCount !== undefined) this.persistentCount = Math.max(0, this.persistentCount - persistentEntries);
      return { lruEntries, redisKeys, persistentEntries };
    } finally {
      const left = (this.erasing.get(userId) ?? 1) - 1;
      if (left > 0) this.erasing.set(userId, left);
      else this.erasing.delete(userId);
    }
  }

  /** Waits for the computations and write-behinds under way now (not for ones started later). */
  private async settleInFlight(): Promise<void> {
    if (this.providerQueue.length > 0) this.dispatchProvider();
    await Promise.allSettled([...this.pendingWrites, ...[...this.inFlight.values()].map((m) => m.promise)]);
    // A computation that just settled may have started its write-behind: wait for those too.
    await Promise.allSettled([...this.pendingWrites]);
  }

  /** Deletes the user's keys listed in their Redis index, then the index; a page at a time, so a crash midway leaves the rest listed. */
  private async eraseFromRedis(userId: string): Promise<number> {
    const redis = this.redis;
    if (!redis) return 0;
    if (redis.status !== 'ready') throw new UnavailableError('redis unavailable: erasure not complete');
    const index = this.redisIndexKey(userId);
    let erased = 0;
    for (;;) {
      const keys = await this.requireRedis(redis.zrange(index, 0, ERASE_PAGE - 1));
      if (keys.length === 0) break;
      const [deleted] = (await this.requireRedis(redis.multi().del(...keys).zrem(index, ...keys).exec())) ?? [];
      if (!deleted || deleted[0]) throw new UnavailableError('redis refused the erasure');
      erased += Number(deleted[1]);
    }
    await this.requireRedis(redis.del(index));
    return erased;
  }

  /** A Redis call for an erasure: within redisTimeoutMs, or UNAVAILABLE. */
  private async requireRedis<T>(call: Promise<T>): Promise<T> {
    const result = await this.boundRedis(call);
    if (result === undefined) throw new UnavailableError('redis unavailable: erasure not complete');
    return result;
  }

  /** Puts an entry in the in-process tier, unless its user is being erased. */
  private remember(userId: string, key: string, vector: Float32Array, rawDigest: string): void {
    if (this.erasing.has(userId)) return;
    this.lru.set(key, { userId, vector, rawDigest });
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

  private keyFor(userId: string, text: string, rawDigest: string): string {
    const alias = `${userId}\u0000${rawDigest}`;
    let key = this.aliases.get(alias);
    if (key === undefined) {
      key = cacheKey(this.keySecret, { userId, model: this.embedder.model, version: this.embedder.version, text });
      if (!this.erasing.has(userId)) this.aliases.set(alias, key);
    }
    return key;
  }

  private enqueueMiss(userId: string, key: string, text: string, rawDigest: string, bounds: CallBounds): PendingMiss {
    let resolve!: (value: CachedEmbedding) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<CachedEmbedding>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A rejected computation must not surface as unhandled when every waiter has given up.
    promise.catch(() => undefined);
    const miss: PendingMiss = { userId, key, text, rawDigest, promise, resolve, reject, waiters: 0, deadline: bounds.deadline, batch: undefined };
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
      this.remember(miss.userId, miss.key, vector, miss.rawDigest);
      this.settle(miss, { vector, source: 'redis' });
    });
    return remaining;
  }

  private async fromStore(batch: PendingMiss[]): Promise<PendingMiss[]> {
    const store = this.store;
    if (!store || batch.length === 0) return batch;
    // One read per user: each statement touches one user's rows.
    const found = new Map<string, Float32Array>();
    await Promise.all(
      [...byUser(batch)].map(async ([userId, misses]) => {
        try {
          const result = await withTimeout(store.getMany(userId, misses.map((m) => m.key)), this.storeReadTimeoutMs);
          if (result === TIMED_OUT) this.counts.storeErrors++;
          else for (const [key, vector] of result) found.set(key, vector);
        } catch {
          this.counts.storeErrors++;
        }
      }),
    );
    if (found.size === 0) return batch;
    const remaining: PendingMiss[] = [];
    const backfill: { userId: string; key: string; vector: Float32Array }[] = [];
    for (const miss of batch) {
      const vector = found.get(miss.key);
      if (!vector || vector.length !== this.embedder.dimensions) {
        remaining.push(miss);
        continue;
      }
      this.counts.hitsPersistent++;
      this.hitsCounter.add(1, { tier: 'persistent' });
      this.remember(miss.userId, miss.key, vector, miss.rawDigest);
      backfill.push({ userId: miss.userId, key: miss.key, vector });
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
    const written: CacheWrite[] = [];
    batch.forEach((miss, i) => {
      const vector = vectors[i]!;
      this.remember(miss.userId, miss.key, vector, miss.rawDigest);
      written.push({ userId: miss.userId, key: miss.key, model: this.embedder.model, vector });
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

  private async writeRedis(all: { userId: string; key: string; vector: Float32Array }[]): Promise<void> {
    const redis = this.redis;
    const entries = all.filter((e) => !this.erasing.has(e.userId));
    if (!redis || entries.length === 0) return;
    if (redis.status !== 'ready') {
      this.redisFailed();
      return;
    }
    // Each key is also listed in its user's index (scored by expiry, expired members trimmed), so
    // erasing a user costs the user's entries, never a scan of Redis.
    const now = Date.now();
    const expiresAt = now + this.redisTtlSeconds * 1000;
    const pipeline = redis.pipeline();
    for (const [userId, own] of byUser(entries)) {
      const index = this.redisIndexKey(userId);
      for (const e of own) {
        const key = this.redisKey(e.key);
        pipeline.setex(key, this.redisTtlSeconds, packVector(e.vector));
        pipeline.zadd(index, expiresAt, key);
      }
      pipeline.zremrangebyscore(index, '-inf', now);
      pipeline.expire(index, this.redisTtlSeconds);
    }
    const results = await this.boundRedis(pipeline.exec());
    if (results?.some(([error]) => error)) this.redisFailed();
  }

  private async writeStore(entries: CacheWrite[]): Promise<void> {
    const store = this.store;
    if (!store || entries.length === 0) return;
    await Promise.all(
      [...byUser(entries)].map(async ([userId, own]) => {
        if (this.erasing.has(userId)) return;
        try {
          const result = await withTimeout(store.putMany(userId, own), this.storeWriteTimeoutMs);
          if (result === TIMED_OUT) this.counts.storeErrors++;
        } catch {
          this.counts.storeErrors++;
        }
      }),
    );
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

  /** The user's index of Redis keys, named by an HMAC of the user id (Redis holds no user ids). */
  private redisIndexKey(userId: string): string {
    return `${this.redisKeyPrefix}user:${userIndexTag(this.keySecret, userId)}`;
  }
}

interface CacheWrite {
  userId: string;
  key: string;
  model: string;
  vector: Float32Array;
}

/** Keys deleted from Redis per round trip when a user is erased. */
const ERASE_PAGE = 500;

function byUser<T extends { userId: string }>(items: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.userId);
    if (group) group.push(item);
    else groups.set(item.userId, [item]);
  }
  return groups;
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
