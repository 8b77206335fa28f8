// Nothing blocks the event loop: the extraction service runs its CPU-heavy work in a worker pool, so
// health keeps answering while a long extraction runs, and a call past its deadline is abandoned
// (its worker replaced) while other calls go on. The in-process mesh shares one event loop across the
// four services, so a blocked loop would show in every figure here.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadlineExceededError } from '@clinote/shared/errors.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { ACI_BENCH_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { ExtractionServiceClient, type ExtractRequest } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { clientCaller } from '@clinote/shared/grpc-client.js';
import { MAX_TEXT_CHARS } from '@clinote/shared/request-bounds.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL, REDIS_URL } from './support/env.js';
import { call, healthStatus } from './support/grpc.js';

const valid = loadAciBench('valid');
const train = loadAciBench('train');

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let userId: string;
let aciId: string;
let extraction: ExtractionServiceClient;

/**
 * A long but real extraction, called on the extraction service directly (the gateway would first
 * tokenise and embed the transcript on the main thread, which is not what this measures): a transcript
 * just under the text bound, filled with six SOPs, each SOP one pool task of about half a second.
 */
function longExtraction(): ExtractRequest {
  let transcript = '';
  for (const e of [...train, ...valid]) {
    if (transcript.length + e.src.length + 1 > MAX_TEXT_CHARS - 10_000) break;
    transcript += `${e.src}\n`;
  }
  const sops: Sop[] = Array.from({ length: 6 }, (_, i) => ({
    id: randomUUID(),
    userId,
    name: `ACI ${i}`,
    version: 1,
    active: true,
    sections: ACI_BENCH_SECTIONS,
  }));
  return { userId, transcript, sops, examples: [], idempotencyKey: '' };
}

/** Health checks of the extraction service, one after another, until `running` settles. */
async function healthWhile(running: Promise<unknown>): Promise<{ statuses: string[]; latenciesMs: number[] }> {
  let settled = false;
  void running.then(
    () => (settled = true),
    () => (settled = true),
  );
  const statuses: string[] = [];
  const latenciesMs: number[] = [];
  while (!settled) {
    const started = performance.now();
    statuses.push(await healthStatus(mesh.extraction.port, '', mesh.secrets.channelCredentials()));
    latenciesMs.push(performance.now() - started);
  }
  return { statuses, latenciesMs };
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: REDIS_URL, env: { REDIS_KEY_PREFIX: `clinote:test:${Date.now()}:` } });
  userId = (await call(mesh.client, mesh.client.createUser, { email: 'clinician@test.local', displayName: 'clinician' })).user!.id;
  aciId = (await call(mesh.client, mesh.client.createSop, { userId, name: 'ACI', sections: ACI_BENCH_SECTIONS })).sop!.id;
  extraction = mesh.secrets.internalClient(ExtractionServiceClient, mesh.extraction.port, userId);
});

afterAll(async () => {
  extraction?.close();
  await mesh?.stop();
  await db?.drop();
});

describe('the extraction service under a long CPU task', () => {
  it('answers health checks SERVING, quickly, while a long extraction runs', async () => {
    const request = longExtraction();
    const started = performance.now();
    const running = call(extraction, extraction.extract, request);
    const { statuses, latenciesMs } = await healthWhile(running);
    const response = await running;
    const extractionMs = performance.now() - started;

    expect(response.results).toHaveLength(request.sops.length);
    expect(extractionMs).toBeGreaterThan(2_000);
    expect(statuses.length).toBeGreaterThanOrEqual(3);
    expect(new Set(statuses)).toEqual(new Set(['SERVING']));
    // Generous bounds (the machine may be shared): a blocked loop would hold one check for the whole extraction.
    expect(percentile(latenciesMs, 95)).toBeLessThan(1_000);
    expect(Math.max(...latenciesMs)).toBeLessThan(extractionMs / 4);
    console.log(
      `health-check latency during a ${Math.round(extractionMs)} ms extraction ` +
        `(${request.transcript.length} chars × ${request.sops.length} SOPs, ${mesh.extraction.deps.cpuPool.threads} workers): ` +
        `${latenciesMs.length} checks, p50 ${percentile(latenciesMs, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(latenciesMs, 95).toFixed(1)} ms, max ${Math.max(...latenciesMs).toFixed(1)} ms`,
    );
  });

  it('answers DEADLINE_EXCEEDED to a call past its deadline, abandons its work, and a concurrent extraction succeeds', async () => {
    const pool = mesh.extraction.deps.cpuPool;
    const workersBefore = pool.threadIds;
    const started = performance.now();
    const short = clientCaller(extraction, 1_000)(extraction.extract, longExtraction());
    const normal = call(mesh.client, mesh.client.extract, {
      userId,
      transcript: valid[0]!.src,
      sopIds: [aciId],
      idempotencyKey: `normal-${randomUUID()}`,
      referenceNote: valid[0]!.tgt,
    });

    await expect(short).rejects.toBeInstanceOf(DeadlineExceededError);
    const shortMs = performance.now() - started;
    const { extraction: done } = await normal;
    const normalMs = performance.now() - started;
    expect(done!.results.map((r) => r.sopId)).toEqual([aciId]);
    expect(done!.results[0]!.renderedNote.length).toBeGreaterThan(100);

    // The abandoned tasks are gone and the workers that ran them were replaced.
    expect(pool.inFlight).toBe(0);
    expect(pool.threadIds.some((id) => !workersBefore.includes(id))).toBe(true);
    expect(await healthStatus(mesh.extraction.port, '', mesh.secrets.channelCredentials())).toBe('SERVING');
    console.log(`short-deadline call refused after ${Math.round(shortMs)} ms; concurrent extraction through the gateway done after ${Math.round(normalMs)} ms`);
  });
});
