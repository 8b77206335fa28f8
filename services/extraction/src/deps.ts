import { createLogger, type Logger } from '@clinote/shared/logger.js';
import { createOrm, type Orm } from '@clinote/shared/orm.js';
import type { ExtractionConfig } from './config.js';
import type { Extractor } from './domain/extractor.js';
import { OfflineExtractor } from './domain/offline-extractor.js';
import { OpenAiExtractor } from './domain/openai-extractor.js';
import { extractionEntities } from './entities/llm-usage.js';
import { extractionMigrations } from './migrations/index.js';

export interface ExtractionDeps {
  config: ExtractionConfig;
  orm: Orm;
  logger: Logger;
  extractor: Extractor;
  close(): Promise<void>;
}

export function createExtractor(config: ExtractionConfig): Extractor {
  if (!config.OPENAI_API_KEY) return new OfflineExtractor();
  return new OpenAiExtractor({
    apiKey: config.OPENAI_API_KEY,
    baseURL: config.OPENAI_BASE_URL,
    models: config.LLM_MODELS,
    maxConcurrency: config.LLM_MAX_CONCURRENCY,
    maxRetries: config.LLM_MAX_RETRIES,
    requestTimeoutMs: config.LLM_REQUEST_TIMEOUT_MS,
    maxReasks: config.LLM_MAX_REASKS,
    prices: config.LLM_PRICES,
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
  const extractor = createExtractor(config);
  logger.info({ extractor: extractor.name }, 'extractor selected');
  return {
    config,
    orm,
    logger,
    extractor,
    async close() {
      await orm.close(true);
    },
  };
}
