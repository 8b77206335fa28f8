import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEV_SECRET_FILE, loadCacheKeySecret } from './cache-key-secret.js';

const LONG = 'x'.repeat(40);

describe('loadCacheKeySecret', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'clinote-cache-secret-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the secret from a file, without its trailing newline', () => {
    const file = path.join(tempDir(), 'secret');
    writeFileSync(file, `${LONG}\n`);
    const secret = loadCacheKeySecret({ EMBEDDING_CACHE_KEY_SECRET: file, EMBEDDING_CACHE_KEY_DEV_SECRET: false, AUTH_DEV_DIR: tempDir() });
    expect(secret.toString()).toBe(LONG);
  });

  it('takes a value that is not a path as the secret itself', () => {
    const secret = loadCacheKeySecret({ EMBEDDING_CACHE_KEY_SECRET: LONG, EMBEDDING_CACHE_KEY_DEV_SECRET: false, AUTH_DEV_DIR: tempDir() });
    expect(secret.toString()).toBe(LONG);
  });

  it('refuses to start without a secret, with a short one, or with a path that does not exist', () => {
    const dev = tempDir();
    expect(() => loadCacheKeySecret({ EMBEDDING_CACHE_KEY_DEV_SECRET: false, AUTH_DEV_DIR: dev })).toThrow(/EMBEDDING_CACHE_KEY_SECRET is required/);
    expect(() => loadCacheKeySecret({ EMBEDDING_CACHE_KEY_SECRET: 'short', EMBEDDING_CACHE_KEY_DEV_SECRET: false, AUTH_DEV_DIR: dev })).toThrow(/at least 32 bytes/);
    expect(() =>
      loadCacheKeySecret({ EMBEDDING_CACHE_KEY_SECRET: '/run/secrets/missing-cache-key', EMBEDDING_CACHE_KEY_DEV_SECRET: true, AUTH_DEV_DIR: dev }),
    ).toThrow(/does not exist/);
  });

  it('generates a development secret only when allowed, once, readable by its owner only', () => {
    const dev = tempDir();
    const first = loadCacheKeySecret({ EMBEDDING_CACHE_KEY_DEV_SECRET: true, AUTH_DEV_DIR: dev });
    const again = loadCacheKeySecret({ EMBEDDING_CACHE_KEY_DEV_SECRET: true, AUTH_DEV_DIR: dev });
    expect(first.byteLength).toBeGreaterThanOrEqual(32);
    expect(again.equals(first)).toBe(true);
    const file = path.join(dev, DEV_SECRET_FILE);
    expect(readFileSync(file, 'utf8')).toBe(first.toString());
    expect(statSync(file).mode & 0o077).toBe(0);
  });
});
