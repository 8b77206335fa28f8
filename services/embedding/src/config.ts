import { z } from 'zod';
import { cpuPoolEnv, databaseEnv, databaseSettings, optionalEnv, internalAuthEnv, parseEnv, serverEnv } from '@clinote/shared/config.js';
import { DEFAULT_DEV_AUTH_DIR } from '@clinote/shared/auth/dev-auth.js';

const hostPortList = z.string().transform((v, ctx) => {
  const nodes = v.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    if (!match) ctx.addIssue({ code: 'custom', message: `not host:port: ${entry}` });
    return { host: match?.[1] ?? '', port: Number(match?.[2] ?? 0) };
  });
  if (nodes.length === 0) ctx.addIssue({ code: 'custom', message: 'empty host:port list' });
  return nodes;
});

const embeddingEnv = serverEnv.merge(databaseEnv).merge(internalAuthEnv).merge(cpuPoolEnv).extend({
  /** Empty: Redis is not used and the in-process and persistent tiers serve alone. */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Sentinel: `host:port,host:port` of the sentinels, with REDIS_SENTINEL_NAME (the master group); replaces REDIS_URL's host. */
  REDIS_SENTINELS: optionalEnv(hostPortList),
  REDIS_SENTINEL_NAME: optionalEnv(z.string().min(1)),
  /** Cluster: `host:port,...` seed nodes; the key prefix must hold a hash tag (`{clinote:emb}:`) so MGET stays in one slot. */
  REDIS_CLUSTER_NODES: optionalEnv(hostPortList),
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
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
    issues.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set: choose one' });
  }
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME) {
    issues.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_NAME'], message: 'required with REDIS_SENTINELS: the master group name' });
  }
  if (env.REDIS_CLUSTER_NODES && !hasHashTag(env.REDIS_KEY_PREFIX)) {
    issues.addIssue({
      code: 'custom',
      path: ['REDIS_KEY_PREFIX'],
      message: 'with REDIS_CLUSTER_NODES the prefix needs a hash tag, e.g. {clinote:emb}: (the cache reads keys with one MGET)',
    });
  }
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

/** A Redis Cluster hash tag: a non-empty `{...}` (found by index, not by a regex to backtrack). */
function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  return open >= 0 && prefix.indexOf('}', open + 1) > open + 1;
}
