import { randomBytes } from 'node:crypto';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { DeadlineExceededError, UnavailableError } from '@clinote/shared/errors.js';
import { EmbeddingCache, type EmbeddingCacheOptions } from './embedding-cache.js';
import { CountingEmbedder } from './embedding-cache.test-support.js';

const ENTRY_BYTES = 16 * 4 + 200; // a 16-dimension vector plus the per-entry overhead the cache counts
const USER = '3f1c2b7a-5d4e-4c3b-9a21-0e8f7d6c5b4a';
const OTHER_USER = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

function newCache(overrides: Partial<EmbeddingCacheOptions> = {}): { cache: EmbeddingCache; embedder: CountingEmbedder } {
  const embedder = (overrides.embedder as CountingEmbedder | undefined) ?? new CountingEmbedder();
  const cache = new EmbeddingCache({
    embedder,
    keySecret: randomBytes(32),
    redis: null,
    store: null,
    lruMaxBytes: 1024 * 1024,
    redisTtlSeconds: 60,
    redisTimeoutMs: 50,
    batchMaxSize: 64,
    batchMaxWaitMs: 2,
    ...overrides,
  });
  return { cache, embedder };
}

class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

describe('EmbeddingCache (in-process tier)', () => {
  it('computes a miss once, then answers from the LRU', async () => {
    const { cache, embedder } = newCache();
    const [first] = await cache.embedMany(USER, ['patient reports chest pain'], {});
    const [second] = await cache.embedMany(USER, ['patient reports chest pain'], {});
    expect(first!.source).toBe('provider');
    expect(second!.source).toBe('lru');
    expect(Array.from(second!.vector)).toEqual(Array.from(first!.vector));
    expect(embedder.calls).toEqual([['patient reports chest pain']]);
    expect(cache.stats()).toMatchObject({ hitsLru: 1, misses: 1, hitRate: 0.5, providerCalls: 1, lruEntries: 1 });
  });

  it('keeps the order of texts and computes a repeated text once', async () => {
    const { cache, embedder } = newCache();
    const texts = ['knee pain', 'cough', 'knee pain', 'fever'];
    const result = await cache.embedMany(USER, texts, {});
    expect(result.map((r) => Array.from(r.vector))).toEqual(texts.map((t) => Array.from(embedder.vectorOf(t))));
    expect(embedder.calls).toEqual([['knee pain', 'cough', 'fever']]);
  });

  it('reuses an embedding for a trivially different text and says so', async () => {
    const { cache, embedder } = newCache();
    await cache.embedMany(USER, ['[doctor] any chest pain ?'], {});
    const [variant] = await cache.embedMany(USER, ['Doctor: Any chest pain?'], {});
    expect(variant!.source).toBe('near_duplicate');
    expect(embedder.texts).toBe(1);
    expect(cache.stats().nearDuplicateReuses).toBe(1);
  });

  it('never reuses across a clinically meaningful difference', async () => {
    const { cache, embedder } = newCache();
    const pairs = [
      ['no chest pain', 'chest pain'],
      ['left knee', 'right knee'],
      ['10 mg', '100 mg'],
      ['1.5 mg', '15 mg'],
      ['denies fever', 'reports fever'],
      ['-2', '2'],
    ] as const;
    for (const [a, b] of pairs) {
      await cache.embedMany(USER, [a], {});
      const [other] = await cache.embedMany(USER, [b], {});
      expect(other!.source, `${a} / ${b}`).toBe('provider');
      expect(Array.from(other!.vector)).toEqual(Array.from(embedder.vectorOf(b)));
    }
    expect(cache.stats().nearDuplicateReuses).toBe(0);
    expect(embedder.texts).toBe(pairs.length * 2);
  });

  it('shares one computation among identical concurrent requests (single-flight)', async () => {
    const { cache, embedder } = newCache();
    embedder.hold();
    const requests = Array.from({ length: 20 }, () => cache.embedMany(USER, ['shortness of breath on exertion'], {}));
    embedder.release();
    const results = await Promise.all(requests);
    expect(embedder.calls).toEqual([['shortness of breath on exertion']]);
    expect(new Set(results.map(([r]) => r!.vector)).size).toBe(1);
    expect(cache.stats()).toMatchObject({ misses: 1, singleFlightJoins: 19, providerCalls: 1 });
  });

  it('coalesces concurrent distinct misses into one provider call', async () => {
    const { cache, embedder } = newCache({ batchMaxWaitMs: 5 });
    const texts = Array.from({ length: 50 }, (_, i) => `encounter ${i}: follow-up of hypertension`);
    const results = await Promise.all(texts.map((t) => cache.embedMany(USER, [t], {})));
    expect(embedder.calls).toHaveLength(1);
    expect(embedder.calls[0]).toEqual(texts);
    results.forEach(([r], i) => expect(Array.from(r!.vector)).toEqual(Array.from(embedder.vectorOf(texts[i]!))));
  });

  it('bounds a batch by size', async () => {
    const { cache, embedder } = newCache({ batchMaxSize: 64, batchMaxWaitMs: 50 });
    const texts = Array.from({ length: 150 }, (_, i) => `text ${i}`);
    await Promise.all(texts.map((t) => cache.embedMany(USER, [t], {})));
    expect(embedder.calls.map((c) => c.length)).toEqual([64, 64, 22]);
  });

  it('keeps the LRU within its byte bound and counts evictions', async () => {
    const { cache, embedder } = newCache({ lruMaxBytes: ENTRY_BYTES * 10 });
    for (let i = 0; i < 25; i++) await cache.embedMany(USER, [`visit ${i}`], {});
    const stats = cache.stats();
    expect(stats.lruEntries).toBe(10);
    expect(stats.lruBytes).toBe(ENTRY_BYTES * 10);
    expect(stats.evictions).toBe(15);
    const [evicted] = await cache.embedMany(USER, ['visit 0'], {});
    const [kept] = await cache.embedMany(USER, ['visit 24'], {});
    expect(evicted!.source).toBe('provider');
    expect(kept!.source).toBe('lru');
    expect(embedder.texts).toBe(26);
  });

  it('passes a provider failure to every waiter and caches nothing', async () => {
    const { cache, embedder } = newCache();
    embedder.failNext = true;
    const outcomes = await Promise.allSettled([cache.embedMany(USER, ['dysuria'], {}), cache.embedMany(USER, ['dysuria'], {})]);
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(UnavailableError);
    }
    const [retried] = await cache.embedMany(USER, ['dysuria'], {});
    expect(retried!.source).toBe('provider');
    expect(embedder.calls).toHaveLength(2);
  });

  it('gives up at the caller deadline and passes it to the provider', async () => {
    const { cache, embedder } = newCache();
    embedder.hold();
    const deadline = new Date(Date.now() + 30);
    await expect(cache.embedMany(USER, ['slow text'], { deadline })).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(embedder.boundsSeen[0]!.deadline).toEqual(deadline);
    embedder.release();
    await cache.flush();
  });

  it('lets one waiter cancel without cancelling the others', async () => {
    const { cache, embedder } = newCache();
    embedder.hold();
    const controller = new AbortController();
    const cancelled = cache.embedMany(USER, ['abdominal pain'], { signal: controller.signal });
    const patient = cache.embedMany(USER, ['abdominal pain'], { signal: new AbortController().signal });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ kind: 'cancelled' });
    embedder.release();
    const [r] = await patient;
    expect(r!.source).toBe('provider');
    expect(embedder.boundsSeen[0]!.signal?.aborted).toBe(false);
  });

  it('exports hit, miss and eviction counters labelled by tier only', async () => {
    const reader = new CollectingReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
    const { cache } = newCache({ meter, lruMaxBytes: ENTRY_BYTES });
    await cache.embedMany(USER, ['migraine with aura'], {});
    await cache.embedMany(USER, ['migraine with aura'], {});
    await cache.embedMany(USER, ['tension headache'], {});
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const sum = (name: string): number =>
      all
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as { value: unknown }[])
        .reduce((n, p) => n + Number(p.value), 0);
    expect(sum('embedding_cache_hits_total')).toBe(1);
    expect(sum('embedding_cache_misses_total')).toBe(2);
    expect(sum('embedding_cache_evictions_total')).toBe(1);
    const hits = all.find((m) => m.descriptor.name === 'embedding_cache_hits_total')!;
    expect(hits.dataPoints.map((p) => p.attributes)).toEqual([{ tier: 'lru' }]);
    expect(JSON.stringify(all)).not.toContain('migraine');
  });
});

describe('EmbeddingCache per user', () => {
  it('keeps two entries for one text embedded by two users, and tells neither about the other', async () => {
    const { cache, embedder } = newCache();
    const [a] = await cache.embedMany(USER, ['patient reports chest pain'], {});
    const [b] = await cache.embedMany(OTHER_USER, ['patient reports chest pain'], {});
    expect(a!.source).toBe('provider');
    // The other user's entry is not theirs: computed again, not "lru".
    expect(b!.source).toBe('provider');
    expect(embedder.texts).toBe(2);
    expect(cache.stats().lruEntries).toBe(2);
    expect((await cache.embedMany(OTHER_USER, ['patient reports chest pain'], {}))[0]!.source).toBe('lru');
  });

  it('reuses near-duplicates within one user only', async () => {
    const { cache } = newCache();
    await cache.embedMany(USER, ['[doctor] any chest pain ?'], {});
    const [other] = await cache.embedMany(OTHER_USER, ['Doctor: Any chest pain?'], {});
    expect(other!.source).toBe('provider');
    const [own] = await cache.embedMany(USER, ['Doctor: Any chest pain?'], {});
    expect(own!.source).toBe('near_duplicate');
  });

  it('does not join another user\'s computation in flight', async () => {
    const { cache, embedder } = newCache();
    embedder.hold();
    const both = Promise.all([cache.embedMany(USER, ['wheezing'], {}), cache.embedMany(OTHER_USER, ['wheezing'], {})]);
    embedder.release();
    await both;
    expect(cache.stats().singleFlightJoins).toBe(0);
    expect(embedder.texts).toBe(2);
  });

  it('erases one user\'s entries and keeps the others\'', async () => {
    const { cache } = newCache();
    await cache.embedMany(USER, ['left knee pain', 'fever'], {});
    await cache.embedMany(OTHER_USER, ['left knee pain'], {});
    expect(await cache.eraseUser(USER)).toEqual({ lruEntries: 2, redisKeys: 0, persistentEntries: 0 });
    expect((await cache.embedMany(OTHER_USER, ['left knee pain'], {}))[0]!.source).toBe('lru');
    expect((await cache.embedMany(USER, ['left knee pain'], {}))[0]!.source).toBe('provider');
    // Erasing again removes nothing and succeeds.
    await cache.eraseUser(OTHER_USER);
    expect(await cache.eraseUser(OTHER_USER)).toEqual({ lruEntries: 0, redisKeys: 0, persistentEntries: 0 });
  });

  it('caches nothing of a computation that finishes while its user is erased', async () => {
    const { cache, embedder } = newCache();
    embedder.hold();
    const pending = cache.embedMany(USER, ['night sweats'], {});
    await new Promise((resolve) => setImmediate(resolve));
    const erased = cache.eraseUser(USER);
    embedder.release();
    await pending;
    await erased;
    expect(cache.stats().lruEntries).toBe(0);
  });

  it('refuses a short key secret', () => {
    expect(() => newCache({ keySecret: randomBytes(16) })).toThrow(RangeError);
  });
});
