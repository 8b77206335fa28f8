import { z } from 'zod';
import { cpuPoolEnv, databaseEnv, databaseSettings, optionalEnv, internalAuthEnv, parseEnv, serverEnv } from '@clinote/shared/config.js';
import { DEFAULT_DEV_AUTH_DIR } from '@clinote/shared/auth/dev-auth.js';

const embeddingEnv = serverEnv.merge(databaseEnv).merge(internalAuthEnv).merge(cpuPoolEnv).extend({
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
  /**
   * Cache keys are HMACs under this secret (a file holding it, or the value; at least 32 bytes), the
   * same for every replica. Required: the service refuses to start without it.
   */
  EMBEDDING_CACHE_KEY_SECRET: optionalEnv(z.string()),
  /** `true`: without EMBEDDING_CACHE_KEY_SECRET, a generated local development secret under AUTH_DEV_DIR (said loudly). */
  EMBEDDING_CACHE_KEY_DEV_SECRET: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  AUTH_DEV_DIR: z.string().default(DEFAULT_DEV_AUTH_DIR),
}).superRefine((env, issues) => {
  if (!env.EMBEDDING_CACHE_KEY_SECRET && !env.EMBEDDING_CACHE_KEY_DEV_SECRET) {
    issues.addIssue({
      code: 'custom',
      path: ['EMBEDDING_CACHE_KEY_SECRET'],
      message: 'required: a file holding the cache key secret, or the secret (EMBEDDING_CACHE_KEY_DEV_SECRET=true for local development only)',
    });
  }
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(embeddingEnv, env);
  return { ...parsed, database: databaseSettings(parsed) };
}
export type EmbeddingConfig = ReturnType<typeof loadConfig>;
