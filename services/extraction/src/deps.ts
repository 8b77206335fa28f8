import { createLogger, type Logger } from '@clinote/shared/logger.js';
import { observeDatabasePool } from '@clinote/shared/metrics.js';
import { createOrm, type Orm } from '@clinote/shared/orm.js';
import type { ExtractionConfig } from './config.js';
import { createExtractionCpuPool, type ExtractionCpuPool } from './domain/cpu-pool.js';
import type { Extractor } from './domain/extractor.js';
import { OpenAiExtractor } from './domain/openai-extractor.js';
import { PooledOfflineExtractor } from './domain/pooled-offline-extractor.js';
import { extractionEntities } from './entities/llm-usage.js';
import { extractionMigrations } from './migrations/index.js';

export interface ExtractionDeps {
  config: ExtractionConfig;
  orm: Orm;
  logger: Logger;
  extractor: Extractor;
  /** Worker threads for CPU-heavy work, so the event loop stays free. */
  cpuPool: ExtractionCpuPool;
  close(): Promise<void>;
}

/** The OpenAI extractor waits on the network (main thread); the offline one computes (worker pool). */
export function createExtractor(config: ExtractionConfig, cpuPool: ExtractionCpuPool): Extractor {
  if (!config.OPENAI_API_KEY) return new PooledOfflineExtractor(cpuPool);
  return new OpenAiExtractor({
    apiKey: config.OPENAI_API_KEY,
    baseURL: config.OPENAI_BASE_URL,
    models: config.LLM_MODELS,
    maxConcurrency: config.LLM_MAX_CONCURRENCY,
    maxRetries: config.LLM_MAX_RETRIES,
    requestTimeoutMs: config.LLM_REQUEST_TIMEOUT_MS,
    maxReasks: config.LLM_MAX_REASKS,
    prices: config.LLM_PRICES,
    maxQueue: config.LLM_MAX_QUEUE,
    maxCallsPerExtraction: config.LLM_MAX_CALLS_PER_EXTRACTION,
    breakerFailures: config.LLM_BREAKER_FAILURES,
    breakerHalfOpenAfterMs: config.LLM_BREAKER_HALF_OPEN_MS,
    // Grounding reads the whole transcript: in the pool, under the call's deadline.
    ground: (grounding, bounds) => cpuPool.run('llm_grounding', grounding, bounds),
  });
}

export async function createDeps(config: ExtractionConfig): Promise<ExtractionDeps> {
  const logger = createLogger('extraction', config.LOG_LEVEL, config.LOG_FILE);
  const orm = await createOrm({
    schema: 'extraction',
    database: config.database,
    logger,
    entities: extractionEntities,
    migrations: extractionMigrations,
  });
  observeDatabasePool(orm, 'extraction');
  const cpuPool = createExtractionCpuPool({ threads: config.EXTRACTION_WORKERS, maxQueue: config.EXTRACTION_MAX_QUEUE });
  const extractor = createExtractor(config, cpuPool);
  logger.info({ extractor: extractor.name, cpu_workers: cpuPool.threads }, 'extractor selected');
  return {
    config,
    orm,
    logger,
    extractor,
    cpuPool,
    async close() {
      await Promise.all([cpuPool.close(), orm.close(true)]);
    },
  };
}
