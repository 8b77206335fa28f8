// Spans and metrics leave the process over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set:
// a real HTTP receiver started here collects them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { initTelemetry, otlpFromEnvironment, type Telemetry } from '@clinote/shared/telemetry.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call } from './support/grpc.js';

const received: Array<{ path: string; bytes: number }> = [];
let receiver: Server;
let telemetry: Telemetry;
let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      received.push({ path: req.url ?? '', bytes });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  telemetry = initTelemetry({ serviceName: 'clinote-test', ...otlpFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }) });
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_otlp');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: '' });
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
  await new Promise((resolve) => receiver.close(resolve));
});

it('exports the extraction trace and the phase histograms', async () => {
  const userId = (await call(mesh.client, mesh.client.createUser, { email: 'otlp@test.local', displayName: 'OTLP' })).user!.id;
  const sopId = (await call(mesh.client, mesh.client.createSop, { userId, name: 'SOAP', sections: SOAP_NOTE_SECTIONS })).sop!.id;
  await call(mesh.client, mesh.client.extract, {
    userId,
    transcript: loadAciBench('valid')[7]!.src,
    sopIds: [sopId],
    idempotencyKey: '',
    referenceNote: '',
  });
  // Shutdown flushes both pipelines: that is the point at which everything must have left.
  await telemetry.shutdown();
  const traces = received.filter((r) => r.path === '/v1/traces');
  const metrics = received.filter((r) => r.path === '/v1/metrics');
  expect(traces.reduce((n, r) => n + r.bytes, 0)).toBeGreaterThan(1000);
  expect(metrics.reduce((n, r) => n + r.bytes, 0)).toBeGreaterThan(100);
});
