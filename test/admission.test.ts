// Admission control: past its bound a service refuses at once with RESOURCE_EXHAUSTED and a retry
// hint, instead of queueing calls until their deadlines pass; the bound frees as calls end.
import { status } from '@grpc/grpc-js';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initTelemetry } from '@clinote/shared/telemetry.js';
import { RETRY_AFTER_KEY } from '@clinote/shared/admission.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { PeerStatusError } from '@clinote/shared/grpc-status.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call } from './support/grpc.js';

/** Tells when the gateway has admitted the extraction: its first phase has run. */
let admitted: () => void = () => undefined;
class PhaseWatcher extends InMemorySpanExporter {
  override export(spans: ReadableSpan[], done: Parameters<InMemorySpanExporter['export']>[1]): void {
    if (spans.some((s) => s.name === 'phase_1_user_lookup')) admitted();
    super.export(spans, done);
  }
}
initTelemetry({ serviceName: 'clinote-test', spanExporter: new PhaseWatcher() });

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_admission');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: '', env: { MAX_CONCURRENT_CALLS: '1' } });
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
});

it('refuses a call beyond the bound at once with a retry hint, and admits again afterwards', async () => {
  const { sop } = await call(mesh.client, mesh.client.createSop, { userId: '', name: 'SOAP', sections: SOAP_NOTE_SECTIONS });
  const long = loadAciBench('valid').map((e) => e.src).join('\n').slice(0, 200_000);
  const inside = new Promise<void>((resolve) => (admitted = resolve));
  const extraction = call(mesh.client, mesh.client.extract, { userId: '', transcript: long, sopIds: [sop!.id], idempotencyKey: '', referenceNote: '' });
  await inside;
  // Sent while the extraction holds the gateway's only slot: refused at once, not queued.
  const started = performance.now();
  const refused = await call(mesh.client, mesh.client.getUser, { userId: '' }).catch((err: unknown) => err);
  const refusedAfterMs = performance.now() - started;
  expect(refused).toBeInstanceOf(PeerStatusError);
  expect((refused as PeerStatusError).code).toBe(status.RESOURCE_EXHAUSTED);
  expect(Number((refused as PeerStatusError).metadata.get(RETRY_AFTER_KEY)[0])).toBeGreaterThan(0);
  expect((await extraction).extraction!.results).toHaveLength(1);
  expect((await call(mesh.client, mesh.client.getUser, { userId: '' })).user!.id).toMatch(/^[0-9a-f-]{36}$/);
  process.stdout.write(`admission refusal answered in ${refusedAfterMs.toFixed(1)} ms while an extraction held the slot\n`);
});
