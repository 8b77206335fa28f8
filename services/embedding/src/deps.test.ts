import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createRedisClient } from './deps.js';

const base = { INTERNAL_IDENTITY_JWKS_FILE: '/dev/null', EMBEDDING_CACHE_KEY_SECRET: 'x'.repeat(32) };
const MASTER = 'clinote-test';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

// A real sentinel monitoring the local Redis (127.0.0.1:6379), as a Sentinel deployment would.
let sentinel: ChildProcess;
let sentinelPort: number;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'clinote-sentinel-'));
  sentinelPort = await freePort();
  const conf = path.join(dir, 'sentinel.conf');
  writeFileSync(conf, `port ${sentinelPort}\nbind 127.0.0.1\ndir ${dir}\nlogfile ""\nsentinel monitor ${MASTER} 127.0.0.1 6379 1\n`);
  sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    sentinel.once('exit', (code) => reject(new Error(`sentinel exited (${code})`)));
    createInterface({ input: sentinel.stdout! }).on('line', (line) => {
      if (line.includes(`+monitor master ${MASTER}`)) resolve();
    });
  });
}, 20_000);

afterAll(() => {
  sentinel?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('createRedisClient', () => {
  it('reaches the master through REDIS_SENTINELS and writes and reads there', async () => {
    const config = loadConfig({ ...base, REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, REDIS_SENTINEL_NAME: MASTER, REDIS_URL: '' });
    const redis = createRedisClient(config)!;
    try {
      await new Promise<void>((resolve, reject) => {
        redis.once('ready', resolve);
        redis.once('end', () => reject(new Error('no connection through the sentinel')));
      });
      const key = `${config.REDIS_KEY_PREFIX}sentinel-test:${randomUUID()}`;
      await redis.set(key, 'through the sentinel', 'EX', 30);
      expect(await redis.get(key)).toBe('through the sentinel');
      expect(redis.options.commandTimeout).toBe(config.REDIS_TIMEOUT_MS);
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });

  it('is one node at REDIS_URL by default, and none when it is empty', async () => {
    const single = createRedisClient(loadConfig(base))!;
    try {
      await new Promise<void>((resolve) => single.once('ready', resolve));
      expect(await single.ping()).toBe('PONG');
    } finally {
      single.disconnect();
    }
    expect(createRedisClient(loadConfig({ ...base, REDIS_URL: '' }))).toBeNull();
  });
});
