import { z } from 'zod';
import { databaseEnv, databaseSettings, optionalEnv, internalAuthEnv, parseEnv, serverEnv } from '@clinote/shared/config.js';

const embeddingEnv = serverEnv.merge(databaseEnv).merge(internalAuthEnv).extend({
  /** Empty: Redis is not used and the in-process and persistent tiers serve alone. */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('clinote:emb:'),
  REDIS_TTL_SECONDS: z.coerce.number().int().positive().default(7 * 24 * 3600),
  REDIS_TIMEOUT_MS: z.coerce.number().int().positive().default(50),
  LRU_MAX_BYTES: z.coerce.number().int().positive().default(64 * 1024 * 1024),
  WARM_ENTRIES: z.coerce.number().int().nonnegative().default(10_000),
  BATCH_MAX_SIZE: z.coerce.number().int().positive().default(64),
  BATCH_MAX_WAIT_MS: z.coerce.number().nonnegative().default(2),
  MAX_TEXTS_PER_CALL: z.coerce.number().int().positive().default(256),
  MAX_TEXT_CHARS: z.coerce.number().int().positive().default(200_000),
  /** Unset: the offline embedder, which needs no network and no weights. */
  OPENAI_API_KEY: optionalEnv(z.string()),
  OPENAI_BASE_URL: optionalEnv(z.string().url()),
  EMBEDDING_MODEL: z.string().default('text-embedding-3-small'),
  EMBEDDING_DIMENSIONS: optionalEnv(z.coerce.number().int().positive()),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(embeddingEnv, env);
  return { ...parsed, database: databaseSettings(parsed) };
}
export type EmbeddingConfig = ReturnType<typeof loadConfig>;
