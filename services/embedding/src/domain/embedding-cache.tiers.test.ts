import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrm, type Orm } from '@clinote/shared/orm.js';
import { MikroOrmEmbeddingStore } from '../entities/embedding-cache-entry-store.js';
import { embeddingEntities } from '../entities/index.js';
import { createTestOrm } from '../entities/test-database.js';
import { embeddingMigrations } from '../migrations/index.js';
import { EMBEDDING_CACHE_REDIS_OPTIONS, EmbeddingCache, type EmbeddingCacheOptions } from './embedding-cache.js';
import { CountingEmbedder, RedisRelay } from './embedding-cache.test-support.js';
import { cacheKey } from './cache-key.js';

const PREFIX = `clinote:test:embedding:${randomUUID()}:`;
const TTL_SECONDS = 120;
// Every replica of one deployment shares the key secret.
const SECRET = randomBytes(32);
const USER = randomUUID();

function redisClient(port = 6379): Redis {
  // The cache bounds every Redis call itself (redisTimeoutMs); the client's own command timeout is
  // only a backstop, kept loose here so a loaded machine cannot time out the tests' own commands.
  const redis = new Redis({ host: '127.0.0.1', port, ...EMBEDDING_CACHE_REDIS_OPTIONS, commandTimeout: 1_000 });
  redis.on('error', () => undefined); // outages are expected here; the cache counts them
  return redis;
}

async function ready(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') await once(redis, 'ready');
}

async function deletePrefix(redis: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

describe('EmbeddingCache tiers against real Redis and Postgres', () => {
  let db: Awaited<ReturnType<typeof createTestOrm>>;
  let admin: Redis;
  const clients: Redis[] = [];
  const orms: Orm[] = [];

  const newCache = (overrides: Partial<EmbeddingCacheOptions> = {}): { cache: EmbeddingCache; embedder: CountingEmbedder } => {
    const embedder = new CountingEmbedder();
    const cache = new EmbeddingCache({
      embedder,
      keySecret: SECRET,
      redis: null,
      store: null,
      lruMaxBytes: 1024 * 1024,
      redisTtlSeconds: TTL_SECONDS,
      redisTimeoutMs: 50,
      batchMaxSize: 64,
      batchMaxWaitMs: 2,
      redisKeyPrefix: PREFIX,
      ...overrides,
    });
    return { cache, embedder };
  };
  const trackedRedis = (port?: number): Redis => {
    const redis = redisClient(port);
    clients.push(redis);
    return redis;
  };

  beforeAll(async () => {
    db = await createTestOrm();
    admin = redisClient();
    await ready(admin);
  });

  afterAll(async () => {
    await deletePrefix(admin);
    for (const c of clients) c.disconnect();
    admin.disconnect();
    for (const orm of orms) await orm.close(true);
    await db?.drop();
  });

  it('shares vectors through Redis as packed Float32 bytes with a TTL', async () => {
    const redis = trackedRedis();
    await ready(redis);
    const a = newCache({ redis });
    const [computed] = await a.cache.embedMany(USER, ['[patient] my left ankle is swollen'], {});
    await a.cache.flush();

    const key = `${PREFIX}${cacheKey(SECRET, { userId: USER, model: a.embedder.model, version: a.embedder.version, text: '[patient] my left ankle is swollen' })}`;
    const stored = await admin.getBuffer(key);
    expect(stored?.byteLength).toBe(a.embedder.dimensions * 4);
    const ttl = await admin.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TTL_SECONDS);

    const b = newCache({ redis });
    const [shared] = await b.cache.embedMany(USER, ['[patient] my left ankle is swollen'], {});
    expect(shared!.source).toBe('redis');
    expect(Array.from(shared!.vector)).toEqual(Array.from(computed!.vector));
    expect(b.embedder.calls).toHaveLength(0);
    expect(b.cache.stats()).toMatchObject({ hitsRedis: 1, misses: 0 });
  });

  it('survives a restart of the service and of Redis through the persistent tier, and warms from it', async () => {
    const texts = ['hypertension follow-up, lisinopril 10 mg', 'right knee pain after a fall', 'denies fever or chills'];
    const redis = trackedRedis();
    await ready(redis);
    const before = newCache({ redis, store: new MikroOrmEmbeddingStore(db.orm.em) });
    const computed = await before.cache.embedMany(USER, texts, {});
    await before.cache.flush();

    // Restart: Redis loses everything, the service comes back with a new ORM and an empty LRU.
    await deletePrefix(admin);
    const orm = await createOrm({
      schema: 'embedding',
      database: { url: db.url, poolMin: 0, poolMax: 2, idleMs: 1_000, maxLifetimeSeconds: 3600, statementTimeoutMs: 5_000, acquireTimeoutMs: 5_000 },
      entities: embeddingEntities,
      migrations: embeddingMigrations,
    });
    orms.push(orm);
    const after = newCache({ redis, store: new MikroOrmEmbeddingStore(orm.em) });
    const restored = await after.cache.embedMany(USER, texts, {});
    expect(restored.map((r) => r.source)).toEqual(['persistent', 'persistent', 'persistent']);
    expect(restored.map((r) => Array.from(r.vector))).toEqual(computed.map((r) => Array.from(r.vector)));
    expect(after.embedder.calls).toHaveLength(0);

    // The persistent hit refilled Redis for the other replicas.
    await after.cache.flush();
    const replica = newCache({ redis });
    expect((await replica.cache.embedMany(USER, [texts[1]!], {}))[0]!.source).toBe('redis');

    // A third start warms its LRU from the hot set before any request.
    const warmed = newCache({ redis: null, store: new MikroOrmEmbeddingStore(orm.em) });
    expect(await warmed.cache.warm(100)).toBe(3);
    const hits = await warmed.cache.embedMany(USER, texts, {});
    expect(hits.map((r) => r.source)).toEqual(['lru', 'lru', 'lru']);
    expect(warmed.cache.stats()).toMatchObject({ totalEntries: 3, lruEntries: 3, hitsLru: 3 });
  });

  it('coalesces concurrent misses into one Redis read and one provider call', async () => {
    const redis = trackedRedis();
    await ready(redis);
    const { cache, embedder } = newCache({ redis, store: new MikroOrmEmbeddingStore(db.orm.em), batchMaxWaitMs: 20 });
    const texts = Array.from({ length: 40 }, (_, i) => `batched visit ${i}: wheezing at night`);
    const results = await Promise.all(texts.map((t) => cache.embedMany(USER, [t], {})));
    expect(results.every(([r]) => r!.source === 'provider')).toBe(true);
    expect(embedder.calls).toEqual([texts]);
    await cache.flush();
    const again = newCache({ redis });
    const shared = await Promise.all(texts.map((t) => again.cache.embedMany(USER, [t], {})));
    expect(shared.every(([r]) => r!.source === 'redis')).toBe(true);
  });

  it('treats an unreachable Redis as a miss: fast, from the provider, no error', async () => {
    const redis = trackedRedis(1); // nothing listens on port 1
    const { cache, embedder } = newCache({ redis });
    const started = performance.now();
    const [result] = await cache.embedMany(USER, ['productive cough for two weeks'], {});
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result!.source).toBe('provider');
    expect(embedder.texts).toBe(1);
    await cache.flush();
    expect(cache.stats().redisErrors).toBeGreaterThanOrEqual(1);
  });

  it('bounds a slow Redis by its timeout, then uses Redis again once it is back', async () => {
    const relay = new RedisRelay();
    await relay.start();
    const redis = trackedRedis(relay.port);
    await ready(redis);
    const { cache, embedder } = newCache({ redis, redisTimeoutMs: 50 });

    relay.stall();
    const started = performance.now();
    const [slow] = await cache.embedMany(USER, ['chest tightness on exertion'], {});
    const elapsed = performance.now() - started;
    expect(slow!.source).toBe('provider');
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(1_000); // a stalled Redis would otherwise hold the call indefinitely
    await cache.flush();
    expect(cache.stats().redisErrors).toBeGreaterThanOrEqual(1);
    relay.resume();

    // Down: connection refused.
    await relay.stop();
    const [down] = await cache.embedMany(USER, ['burning on urination'], {});
    expect(down!.source).toBe('provider');

    // Back: the client reconnects by itself and the cache writes and reads Redis again.
    await relay.start();
    await ready(redis);
    await cache.embedMany(USER, ['itchy rash on both forearms'], {});
    await cache.flush();
    const other = newCache({ redis });
    expect((await other.cache.embedMany(USER, ['itchy rash on both forearms'], {}))[0]!.source).toBe('redis');
    expect(embedder.texts).toBe(3);
    await relay.stop();
  });

  describe('per user', () => {
    const keysUnder = async (): Promise<string[]> => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        found.push(...keys);
      } while (cursor !== '0');
      return found;
    };
    const rowsOf = async (userId: string): Promise<number> => {
      const [row] = await db.orm.em
        .getConnection()
        .execute<{ n: string }[]>('select count(*) as n from "embedding"."embedding_cache_entry" where user_id = ?', [userId]);
      return Number(row!.n);
    };

    it('keeps one entry per user in Redis and Postgres; another user\'s text is computed, never a hit', async () => {
      await deletePrefix(admin);
      const [a, b] = [randomUUID(), randomUUID()];
      const redis = trackedRedis();
      await ready(redis);
      const writer = newCache({ redis, store: new MikroOrmEmbeddingStore(db.orm.em) });
      await writer.cache.embedMany(a, ['[patient] the rash started on my left arm'], {});
      await writer.cache.flush();

      // Another replica, cold LRU: B's lookup of A's text finds nothing of A's in any tier.
      const replica = newCache({ redis, store: new MikroOrmEmbeddingStore(db.orm.em) });
      const [forB] = await replica.cache.embedMany(b, ['[patient] the rash started on my left arm'], {});
      expect(forB!.source).toBe('provider');
      await replica.cache.flush();
      expect(await rowsOf(a)).toBe(1);
      expect(await rowsOf(b)).toBe(1);
      // Two vectors and one index per user; no key names a user id.
      const keys = await keysUnder();
      expect(keys).toHaveLength(4);
      for (const key of keys) expect(key).not.toMatch(new RegExp(`${a}|${b}`));

      const third = newCache({ redis, store: new MikroOrmEmbeddingStore(db.orm.em) });
      expect((await third.cache.embedMany(a, ['[patient] the rash started on my left arm'], {}))[0]!.source).toBe('redis');
    });

    it('erases one user from the LRU, Redis and Postgres, leaving the other\'s entries', async () => {
      await deletePrefix(admin);
      const [a, b] = [randomUUID(), randomUUID()];
      const redis = trackedRedis();
      await ready(redis);
      const { cache } = newCache({ redis, store: new MikroOrmEmbeddingStore(db.orm.em) });
      const texts = ['cough for three days', 'no fever', 'left ear pain'];
      await cache.embedMany(a, texts, {});
      await cache.embedMany(b, texts.slice(0, 1), {});
      await cache.flush();
      const before = await keysUnder();

      expect(await cache.eraseUser(a)).toEqual({ lruEntries: 3, redisKeys: 3, persistentEntries: 3 });
      expect(await rowsOf(a)).toBe(0);
      expect(await rowsOf(b)).toBe(1);
      const after = await keysUnder();
      // B's vector and B's index remain; A's three vectors and A's index are gone.
      expect(after).toHaveLength(2);
      expect(before.length - after.length).toBe(4);
      expect((await cache.embedMany(b, texts.slice(0, 1), {}))[0]!.source).toBe('lru');
      const cold = newCache({ redis, store: new MikroOrmEmbeddingStore(db.orm.em) });
      expect((await cold.cache.embedMany(b, texts.slice(0, 1), {}))[0]!.source).toBe('redis');
      expect((await cold.cache.embedMany(a, texts.slice(0, 1), {}))[0]!.source).toBe('provider');
      await cold.cache.flush();

      // Again: idempotent, and erasing what is already gone succeeds.
      await cache.eraseUser(a);
      await cold.cache.eraseUser(a);
      expect(await cold.cache.eraseUser(a)).toEqual({ lruEntries: 0, redisKeys: 0, persistentEntries: 0 });
    });

    it('refuses to report an erasure done while Redis is unreachable', async () => {
      const redis = trackedRedis(1);
      const { cache } = newCache({ redis, store: new MikroOrmEmbeddingStore(db.orm.em) });
      await expect(cache.eraseUser(randomUUID())).rejects.toMatchObject({ kind: 'unavailable' });
    });
  });
});
