// Embedding cache figures (issue 4): LRU and Redis hit latency inside the service, offline embedder
// throughput, and the hit rate when the shared ACI-Bench and MTS-Dialog texts are replayed twice.
// Run: npx tsx services/embedding/bench/cache.bench.ts  (Redis at REDIS_URL or 127.0.0.1:6379 is optional)
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { EMBEDDING_CACHE_REDIS_OPTIONS, EmbeddingCache, type EmbeddingCacheOptions } from '../src/domain/embedding-cache.js';
import { OfflineEmbedder } from '../src/domain/offline-embedder.js';
import { measureEmbedderQuality } from './embedder-quality.js';
import { loadAciBench, loadMtsDialog } from '@clinote/shared/fixtures/datasets.js';

function percentile(sortedMs: number[], p: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))]!;
}

function summary(samplesMs: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: samplesMs.reduce((s, x) => s + x, 0) / samplesMs.length,
  };
}

const fmt = (ms: number): string => `${ms.toFixed(4)} ms`;

function sharedTexts(): { aci: string[]; mts: string[] } {
  return {
    aci: [...loadAciBench('train'), ...loadAciBench('valid')].map((e) => e.src),
    mts: [...loadMtsDialog('train'), ...loadMtsDialog('valid')].map((p) => p.dialogue),
  };
}

// One clinician replays the texts (entries are per user); one key secret for the "replicas".
const USER = randomUUID();
const KEY_SECRET = randomBytes(32);

function newCache(embedder: OfflineEmbedder, overrides: Partial<EmbeddingCacheOptions> = {}): EmbeddingCache {
  return new EmbeddingCache({
    embedder,
    keySecret: KEY_SECRET,
    redis: null,
    store: null,
    lruMaxBytes: 64 * 1024 * 1024,
    redisTtlSeconds: 600,
    redisTimeoutMs: 50,
    batchMaxSize: 64,
    batchMaxWaitMs: 2,
    ...overrides,
  });
}

async function timeEach(texts: string[], rounds: number, call: (text: string) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const text of texts) {
      const started = performance.now();
      await call(text);
      samples.push(performance.now() - started);
    }
  }
  return samples;
}

export async function runCacheBench(): Promise<void> {
  const { aci, mts } = sharedTexts();
  const all = [...aci, ...mts];
  const embedder = new OfflineEmbedder();
  console.log(`texts: ${aci.length} ACI-Bench transcripts (mean ${Math.round(aci.reduce((s, t) => s + t.length, 0) / aci.length)} chars), ${mts.length} MTS-Dialog dialogues`);

  // Offline embedder throughput.
  for (let i = 0; i < 3; i++) for (const t of aci) embedder.embedOne(t); // warm-up (JIT, stem memo)
  const perTranscript = summary(await timeEach(aci, 5, async (t) => embedder.embedOne(t)));
  const started = performance.now();
  for (const t of all) embedder.embedOne(t);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `offline embedder: ACI transcript p50 ${fmt(perTranscript.p50)}, p99 ${fmt(perTranscript.p99)} (goal ≤ 2 ms: ${(perTranscript.p50 / 2).toFixed(2)}× of budget); ` +
      `${Math.round(all.length / seconds)} texts/s, ${((all.reduce((s, t) => s + t.length, 0) / seconds) / 1e6).toFixed(2)} M chars/s over all texts`,
  );

  // LRU hit latency: every text is cached, each call is one embedMany([text]) as a handler makes it.
  const lruCache = newCache(embedder);
  await lruCache.embedMany(USER, all, {});
  await timeEach(all, 2, (t) => lruCache.embedMany(USER, [t], {})); // warm-up
  const lru = summary(await timeEach(all, 10, (t) => lruCache.embedMany(USER, [t], {})));
  console.log(
    `LRU hit: p50 ${fmt(lru.p50)} (goal ≤ 0.15 ms: ${(lru.p50 / 0.15).toFixed(2)}×), p99 ${fmt(lru.p99)} (goal ≤ 0.5 ms: ${(lru.p99 / 0.5).toFixed(2)}×), mean ${fmt(lru.mean)}`,
  );
  const aciOnly = summary(await timeEach(aci, 20, (t) => lruCache.embedMany(USER, [t], {})));
  console.log(`LRU hit, ACI transcripts only (~6.4k chars): p50 ${fmt(aciOnly.p50)}, p99 ${fmt(aciOnly.p99)}`);

  // Redis-tier hit latency: an LRU too small to hold anything forces every lookup to Redis.
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { ...EMBEDDING_CACHE_REDIS_OPTIONS, lazyConnect: true });
  redis.on('error', () => undefined);
  const prefix = `clinote:bench:embedding:${randomUUID()}:`;
  try {
    await Promise.race([redis.connect(), once(redis, 'end')]);
    if (redis.status === 'ready') {
      const writer = newCache(embedder, { redis, redisKeyPrefix: prefix });
      await writer.embedMany(USER, all, {});
      await writer.flush();
      for (const waitMs of [2, 0]) {
        const reader = newCache(embedder, { redis, redisKeyPrefix: prefix, lruMaxBytes: 1, batchMaxWaitMs: waitMs });
        const samples = summary(await timeEach(all, 2, (t) => reader.embedMany(USER, [t], {})));
        const s = reader.stats();
        console.log(
          `Redis hit (batch window ${waitMs} ms): p50 ${fmt(samples.p50)}, p99 ${fmt(samples.p99)}; ${s.hitsRedis} Redis hits, ${s.misses} misses, ${s.redisErrors} Redis errors`,
        );
      }
    } else {
      console.log('Redis hit: skipped (no Redis answered)');
    }
  } finally {
    if (redis.status === 'ready') {
      const keys = await redis.keys(`${prefix}*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    }
    redis.disconnect();
  }

  // Hit rate when replaying every shared text twice, in handler-sized batches.
  const replay = newCache(embedder);
  const uniqueTexts = new Set(all).size;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < all.length; i += 16) await replay.embedMany(USER, all.slice(i, i + 16), {});
  }
  const s = replay.stats();
  const ideal = 1 - uniqueTexts / (2 * all.length);
  console.log(
    `replay ACI-Bench + MTS-Dialog twice (${2 * all.length} lookups, ${uniqueTexts} distinct texts): hit rate ${s.hitRate.toFixed(4)} ` +
      `(ideal ${ideal.toFixed(4)}, ratio ${(s.hitRate / ideal).toFixed(3)}); provider texts ${s.providerTexts} in ${s.providerCalls} calls; ` +
      `near-duplicate reuses ${s.nearDuplicateReuses}; LRU ${s.lruEntries} entries, ${(s.lruBytes / 1024 / 1024).toFixed(2)} MiB`,
  );

  const quality = measureEmbedderQuality();
  console.log(
    `offline embedder quality on ACI-Bench valid (${quality.validEncounters}): nearest train encounter is TF-IDF's top-1 ${quality.nearestInTfidfTop1}, ` +
      `top-3 ${quality.nearestInTfidfTop3}, top-5 ${quality.nearestInTfidfTop5}; shares a chief-complaint word: nearest ${quality.chiefComplaintMatchEmbedding}, ` +
      `any of top-3 ${quality.chiefComplaintMatchEmbeddingTop3} (TF-IDF nearest ${quality.chiefComplaintMatchTfidf}, random ${quality.chiefComplaintMatchRandom})`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runCacheBench();
}
