import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const base = { INTERNAL_IDENTITY_JWKS_FILE: '/dev/null', EMBEDDING_CACHE_KEY_SECRET: 'x'.repeat(32) };

describe('embedding Redis topology config', () => {
  it('defaults to the single node at REDIS_URL', () => {
    const config = loadConfig(base);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.REDIS_SENTINELS).toBeUndefined();
    expect(config.REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it('parses sentinels and the master group name', () => {
    const config = loadConfig({ ...base, REDIS_SENTINELS: 'sentinel-0:26379, 10.0.0.2:26380', REDIS_SENTINEL_NAME: 'clinote' });
    expect(config.REDIS_SENTINELS).toEqual([
      { host: 'sentinel-0', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
    ]);
    expect(config.REDIS_SENTINEL_NAME).toBe('clinote');
  });

  it('requires the master group name with sentinels', () => {
    expect(() => loadConfig({ ...base, REDIS_SENTINELS: 'a:26379' })).toThrow(/REDIS_SENTINEL_NAME/);
  });

  it('parses cluster nodes when the key prefix holds a hash tag', () => {
    const config = loadConfig({ ...base, REDIS_CLUSTER_NODES: 'r0:6379,r1:6379', REDIS_KEY_PREFIX: '{clinote:emb}:' });
    expect(config.REDIS_CLUSTER_NODES).toEqual([
      { host: 'r0', port: 6379 },
      { host: 'r1', port: 6379 },
    ]);
  });

  it('refuses a cluster key prefix without a hash tag (MGET would cross slots)', () => {
    expect(() => loadConfig({ ...base, REDIS_CLUSTER_NODES: 'r0:6379' })).toThrow(/hash tag/);
    expect(() => loadConfig({ ...base, REDIS_CLUSTER_NODES: 'r0:6379', REDIS_KEY_PREFIX: 'clinote:{}:' })).toThrow(/REDIS_KEY_PREFIX/);
    expect(loadConfig({ ...base, REDIS_CLUSTER_NODES: 'r0:6379', REDIS_KEY_PREFIX: '{clinote:emb}:' }).REDIS_KEY_PREFIX).toBe('{clinote:emb}:');
  });

  it('refuses sentinels and cluster together, naming both', () => {
    expect(() =>
      loadConfig({ ...base, REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: '{x}b:6379' }),
    ).toThrow(/REDIS_SENTINELS and REDIS_CLUSTER_NODES/);
  });

  it('refuses an entry that is not host:port', () => {
    expect(() => loadConfig({ ...base, REDIS_SENTINELS: 'sentinel-0', REDIS_SENTINEL_NAME: 'm' })).toThrow(/not host:port/);
  });
});
