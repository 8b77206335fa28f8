// Regressions of the hostile inputs that froze a service: each answers within the bound the issue
// set, and a normal extraction sent at the same time still succeeds.
import { status } from '@grpc/grpc-js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initTelemetry } from '@clinote/shared/telemetry.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call, refusal } from './support/grpc.js';

const spans = new InMemorySpanExporter();
initTelemetry({ serviceName: 'clinote-test', spanExporter: spans });

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let sopId: string;
const valid = loadAciBench('valid');

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_regressions');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: '' });
  sopId = (await call(mesh.client, mesh.client.createSop, { userId: '', name: 'SOAP', sections: SOAP_NOTE_SECTIONS })).sop!.id;
  // Warm: worker threads started, tokenizers and lexicons loaded, connections open.
  await Promise.all([extract(valid[1]!.src), extract(valid[2]!.src.repeat(4))]);
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
});

const extract = (transcript: string) =>
  call(mesh.client, mesh.client.extract, { userId: '', transcript, sopIds: [sopId], idempotencyKey: '', referenceNote: '' });

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
}

it('answers the 55-character backtracking transcript (and 40 repeats) at once, beside a normal extraction', async () => {
  const attack = '[doctor] we will go ahead - - - - - - - - - - - - - 1 .';
  const longer = `[doctor] we will go ahead${' -'.repeat(40)} 1 .`;
  const [a, b, normal] = await Promise.all([timed(extract(attack)), timed(extract(longer)), timed(extract(valid[0]!.src))]);
  expect(a.value.extraction!.results).toHaveLength(1);
  expect(b.value.extraction!.results).toHaveLength(1);
  expect(normal.value.extraction!.results[0]!.renderedNote.length).toBeGreaterThan(100);
  expect(a.ms).toBeLessThan(1_000);
  expect(b.ms).toBeLessThan(1_000);
  process.stdout.write(`backtracking transcripts: ${a.ms.toFixed(0)} ms and ${b.ms.toFixed(0)} ms; normal extraction beside them ${normal.ms.toFixed(0)} ms\n`);
});

it('extracts a 200k-character run-on transcript within 2 s', async () => {
  const words = valid.map((e) => e.src.replace(/\n/g, ' ')).join(' ').split(' ');
  let runOn = '[patient] ';
  for (let i = 0; runOn.length < 199_000; i++) runOn += `${words[i % words.length]} `;
  const { value, ms } = await timed(extract(runOn.slice(0, 200_000)));
  const phases = value.extraction!.phaseTimings.map((p) => `${p.phase} ${p.durationMs.toFixed(0)}`).join(', ');
  process.stdout.write(`200k-character run-on transcript: ${ms.toFixed(0)} ms (${phases})\n`);
  expect(value.extraction!.results).toHaveLength(1);
  expect(ms).toBeLessThan(2_000);
});

it('refuses a 1 MB email within 10 ms of server time', async () => {
  const email = `${'a'.repeat(1_000_000)}@example.org`;
  spans.reset();
  const { value, ms } = await timed(refusal(call(mesh.client, mesh.client.createUser, { email, displayName: 'Dr A' })));
  expect(value.code).toBe(status.INVALID_ARGUMENT);
  expect(value.violations.map((v) => v.field)).toEqual(['email']);
  // The server's share: its CreateUser span, from the decoded request to the refusal.
  const server = spans.getFinishedSpans().find((s) => s.name === 'CreateUser')!;
  const serverMs = server.duration[0] * 1e3 + server.duration[1] / 1e6;
  expect(serverMs).toBeLessThan(10);
  process.stdout.write(`1 MB email refused in ${serverMs.toFixed(2)} ms of server time (${ms.toFixed(1)} ms client wall clock, encoding and transfer included)\n`);
});
