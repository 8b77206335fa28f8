// A service run as its own process (as in production) stops cleanly on SIGTERM: health goes
// NOT_SERVING, in-flight calls drain, the ORM closes, and the process exits 0.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { createMeshSecrets } from '../scripts/lib/mesh.js';
import { spawnService, stopService } from '../scripts/lib/processes.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { ROOT, healthStatus } from './support/grpc.js';

let db: Awaited<ReturnType<typeof createScratchDatabase>>;

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_shutdown');
});

afterAll(async () => {
  await db?.drop();
});

it('exits 0 on SIGTERM after serving', async () => {
  const secrets = await createMeshSecrets();
  const service = await spawnService(ROOT, 'extraction', { DATABASE_URL: db.url, DB_POOL_MIN: '0', LOG_LEVEL: 'warn', ...secrets.envFor('extraction') });
  expect(await healthStatus(service.port, '', secrets.channelCredentials())).toBe('SERVING');
  expect(await stopService(service)).toBe(0);
  await expect(healthStatus(service.port, '', secrets.channelCredentials())).rejects.toThrow();
});
