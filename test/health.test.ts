// Health follows real readiness, and a call that needs the missing database gets UNAVAILABLE.
import { status } from '@grpc/grpc-js';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '@clinote/context/config.js';
import { startContext } from '@clinote/context/server.js';
import { ContextServiceClient } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { createMeshSecrets } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call, healthStatus, refusal } from './support/grpc.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('reports NOT_SERVING and answers UNAVAILABLE once its database is gone', async () => {
  const db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_health');
  const secrets = await createMeshSecrets();
  const service = await startContext(
    loadConfig({
      DATABASE_URL: db.url,
      GRPC_ADDRESS: '127.0.0.1:0',
      LOG_LEVEL: 'silent',
      DB_POOL_MIN: '0',
      DB_POOL_MAX: '2',
      DB_ACQUIRE_TIMEOUT_MS: '2000',
      ...secrets.envFor('context'),
    }),
  );
  cleanups.push(() => service.stop());
  const userId = '00000000-0000-4000-8000-00000000000a';
  const client = secrets.internalClient(ContextServiceClient, service.port, userId);
  cleanups.push(() => client.close());
  const creds = secrets.channelCredentials();
  expect(await healthStatus(service.port, '', creds)).toBe('SERVING');
  expect(await healthStatus(service.port, 'clinote.context.v1.ContextService', creds)).toBe('SERVING');
  expect((await call(client, client.listSops, { userId, includeInactive: false })).sops).toEqual([]);

  await db.drop();
  expect(await service.server.refreshHealth()).toBe(false);
  expect(await healthStatus(service.port, '', creds)).toBe('NOT_SERVING');
  expect(await healthStatus(service.port, 'clinote.context.v1.ContextService', creds)).toBe('NOT_SERVING');
  expect((await refusal(call(client, client.listSops, { userId, includeInactive: false }))).code).toBe(status.UNAVAILABLE);
});
