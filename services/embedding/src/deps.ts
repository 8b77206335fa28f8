import { Cluster, Redis } from 'ioredis';
import { createLogger, type Logger } from '@clinote/shared/logger.js';
import { observeDatabasePool } from '@clinote/shared/metrics.js';
import { createOrm, type Orm } from '@clinote/shared/orm.js';
import { loadCacheKeySecret } from './cache-key-secret.js';
import type { EmbeddingConfig } from './config.js';
import { createEmbeddingCpuPool, type EmbeddingCpuPool } from './domain/cpu-pool.js';
import type { Embedder } from './domain/embedder.js';
import { EMBEDDING_CACHE_REDIS_OPTIONS, EmbeddingCache } from './domain/embedding-cache.js';
import { OpenAiEmbedder } from './domain/openai-embedder.js';
import { PooledOfflineEmbedder } from './domain/pooled-offline-embedder.js';
import { MikroOrmEmbeddingStore } from './entities/embedding-cache-entry-store.js';
import { embeddingEntities } from './entities/index.js';
import { embeddingMigrations } from './migrations/index.js';

export interface EmbeddingDeps {
  config: EmbeddingConfig;
  orm: Orm;
  logger: Logger;
  redis: Redis | null;
  embedder: Embedder;
  /** Worker threads for the offline embedder on long texts; none with the OpenAI embedder (nothing to compute). */
  cpuPool: EmbeddingCpuPool | null;
  cache: EmbeddingCache;
  close(): Promise<void>;
}

/** The OpenAI embedder waits on the network (main thread); the offline one computes (worker pool for long texts). */
export function createEmbedder(config: EmbeddingConfig, cpuPool: EmbeddingCpuPool | null): Embedder {
  if (!config.OPENAI_API_KEY) {
    if (!cpuPool) throw new Error('the offline embedder needs the CPU pool');
    return new PooledOfflineEmbedder(cpuPool);
  }
  return new OpenAiEmbedder({
    apiKey: config.OPENAI_API_KEY,
    baseURL: config.OPENAI_BASE_URL,
    model: config.EMBEDDING_MODEL,
    dimensions: config.EMBEDDING_DIMENSIONS,
  });
}

/** The shared cache tier's client: Cluster, Sentinel or one node (REDIS_URL), with the same fail-fast options; null without Redis. */
export function createRedisClient(config: EmbeddingConfig): Redis | null {
  const redisOptions = { ...EMBEDDING_CACHE_REDIS_OPTIONS, commandTimeout: config.REDIS_TIMEOUT_MS };
  if (config.REDIS_CLUSTER_NODES) {
    // The cache uses only commands a Cluster client serves the same way (one-slot keys: see the prefix check in config).
    return new Cluster(config.REDIS_CLUSTER_NODES, {
      enableOfflineQueue: false,
      clusterRetryStrategy: EMBEDDING_CACHE_REDIS_OPTIONS.retryStrategy,
      redisOptions,
    }) as unknown as Redis;
  }
  if (config.REDIS_SENTINELS) return new Redis({ ...redisOptions, sentinels: config.REDIS_SENTINELS, name: config.REDIS_SENTINEL_NAME });
  return config.REDIS_URL ? new Redis(config.REDIS_URL, redisOptions) : null;
}

export async function createDeps(config: EmbeddingConfig): Promise<EmbeddingDeps> {
  const logger = createLogger('embedding', config.LOG_LEVEL, config.LOG_FILE);
  // Before anything is opened: a service without its key secret does not start.
  const keySecret = loadCacheKeySecret(config, logger);
  const orm = await createOrm({
    schema: 'embedding',
    database: config.database,
    logger,
    entities: embeddingEntities,
    migrations: embeddingMigrations,
  });
  observeDatabasePool(orm, 'embedding');
  const redis = createRedisClient(config);
  if (redis) {
    // Redis outages are cache misses; the client reconnects by itself.
    redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis unavailable'));
  }
  const cpuPool = config.OPENAI_API_KEY ? null : createEmbeddingCpuPool({ threads: config.CPU_WORKERS, maxQueue: config.CPU_MAX_QUEUE });
  const embedder = createEmbedder(config, cpuPool);
  const cache = new EmbeddingCache({
    embedder,
    keySecret,
    redis,
    store: new MikroOrmEmbeddingStore(orm.em.fork()),
    lruMaxBytes: config.LRU_MAX_BYTES,
    redisTtlSeconds: config.REDIS_TTL_SECONDS,
    redisTimeoutMs: config.REDIS_TIMEOUT_MS,
    redisKeyPrefix: config.REDIS_KEY_PREFIX,
    batchMaxSize: config.BATCH_MAX_SIZE,
    batchMaxWaitMs: config.BATCH_MAX_WAIT_MS,
  });
  const close = async () => {
    await cache.flush();
    redis?.disconnect();
    await Promise.all([cpuPool?.close(), orm.close(true)]);
  };
  try {
    const warmed = await cache.warm(config.WARM_ENTRIES);
    logger.info(
      { embedder: embedder.model, dimensions: embedder.dimensions, warmed, redis: Boolean(redis), cpu_workers: cpuPool?.threads ?? 0 },
      'embedding cache ready',
    );
  } catch (err: unknown) {
    // Nothing half-built stays open when the service cannot start.
    await close();
    throw err;
  }
  return { config, orm, logger, redis, embedder, cpuPool, cache, close };
}
