// The secret every embedding cache key is an HMAC under (EMBEDDING_CACHE_KEY_SECRET). Every replica
// that shares Redis and the table needs the same one; rotating it empties the cache (old keys are
// never computed again, and age out of Redis by TTL and out of the table by erasure or eviction).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '@clinote/shared/logger.js';
import { MIN_CACHE_KEY_SECRET_BYTES } from './domain/cache-key.js';

export interface CacheKeySecretSettings {
  /** A file holding the secret, or the secret itself; a value that looks like a path must be a file. */
  EMBEDDING_CACHE_KEY_SECRET?: string | undefined;
  /** Without a configured secret: generate one under devDir, kept for later starts (local development only). */
  EMBEDDING_CACHE_KEY_DEV_SECRET: boolean;
  AUTH_DEV_DIR: string;
}

export const DEV_SECRET_FILE = 'embedding-cache-key.secret';

/** The configured secret, or (only when allowed) the local development one; refuses a short or missing one. */
export function loadCacheKeySecret(settings: CacheKeySecretSettings, logger?: Logger): Buffer {
  const configured = settings.EMBEDDING_CACHE_KEY_SECRET;
  if (configured) return checked(secretFrom(configured), 'EMBEDDING_CACHE_KEY_SECRET');
  if (!settings.EMBEDDING_CACHE_KEY_DEV_SECRET) {
    throw new Error('invalid configuration: EMBEDDING_CACHE_KEY_SECRET is required (EMBEDDING_CACHE_KEY_DEV_SECRET=true for local development only)');
  }
  const file = path.join(settings.AUTH_DEV_DIR, DEV_SECRET_FILE);
  logger?.warn(
    { file },
    'EMBEDDING_CACHE_KEY_DEV_SECRET=true: embedding cache keys use a LOCAL DEVELOPMENT secret. Never use this with real patients.',
  );
  return checked(ensureDevSecret(file), file);
}

function secretFrom(configured: string): Buffer {
  if (existsSync(configured)) return Buffer.from(readFileSync(configured, 'utf8').trim(), 'utf8');
  // A mistyped path must not become a short, guessable secret.
  if (/^(\/|\.{1,2}\/|~)/.test(configured)) throw new Error('invalid configuration: EMBEDDING_CACHE_KEY_SECRET names a file that does not exist');
  return Buffer.from(configured, 'utf8');
}

function checked(secret: Buffer, source: string): Buffer {
  if (secret.byteLength < MIN_CACHE_KEY_SECRET_BYTES) {
    throw new Error(`invalid configuration: ${source}: the cache key secret must be at least ${MIN_CACHE_KEY_SECRET_BYTES} bytes`);
  }
  return secret;
}

/** Created once (exclusively, so concurrent starts agree), readable by its owner only. */
function ensureDevSecret(file: string): Buffer {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
}
