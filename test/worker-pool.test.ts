// Nothing blocks the event loop: the extraction and context services run their CPU-heavy work in worker
// pools, so health keeps answering while a long extraction or import runs, and a call past its deadline
// is abandoned (its workers replaced) while other calls go on. The in-process mesh shares one event loop across the
// four services, so a blocked loop would show in every figure here.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadlineExceededError } from '@clinote/shared/errors.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { ACI_BENCH_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { ContextServiceClient, type ImportEncountersRequest } from '@clinote/shared/gen/clinote/context/v1/context.js';
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
let context: ContextServiceClient;

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

/**
 * A long import, called on the context service directly (the gateway would first embed every text, which
 * is not what this measures): encounters of the longest text allowed, as many as one message carries.
 */
function longImport(tag: string): ImportEncountersRequest {
  let corpus = '';
  for (const e of [...train, ...valid]) corpus += `${e.src}\n`;
  const embedding = Array.from({ length: 768 }, (_, i) => Math.sin(i + 1));
  // Within the 16 MiB message bound (grpc-server.ts): 56 × 250k characters and their vectors.
  const encounters = Array.from({ length: 56 }, (_, i) => {
    const start = (i * 9_973) % corpus.length;
    const transcript = (corpus.slice(start) + corpus).slice(0, MAX_TEXT_CHARS);
    return { transcript, note: valid[i % valid.length]!.tgt, externalId: `${tag}-${i}`, embedding, embeddingModel: mesh.embedding.deps.embedder.model };
  });
  return { userId, encounters };
}

/** Waits (polling, bounded) until `done()` holds. */
async function eventually(done: () => boolean, withinMs = 10_000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!done()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Health checks of the extraction service, one after another, until `running` settles. */
async function healthWhile(running: Promise<unknown>, port = mesh.extraction.port): Promise<{ statuses: string[]; latenciesMs: number[] }> {
  let settled = false;
  void running.then(
    () => (settled = true),
    () => (settled = true),
  );
  const statuses: string[] = [];
  const latenciesMs: number[] = [];
  while (!settled) {
    const started = performance.now();
    statuses.push(await healthStatus(port, '', mesh.secrets.channelCredentials()));
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
  context = mesh.secrets.internalClient(ContextServiceClient, mesh.context.port, userId);
});

afterAll(async () => {
  extraction?.close();
  context?.close();
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

describe('the context service under a long import', () => {
  it('answers health checks SERVING, quickly, while it computes the features of a long import', async () => {
    const request = longImport('long');
    const chars = request.encounters.reduce((sum, e) => sum + e.transcript.length + e.note.length, 0);
    const started = performance.now();
    const running = call(context, context.importEncounters, request);
    const { statuses, latenciesMs } = await healthWhile(running, mesh.context.port);
    const response = await running;
    const importMs = performance.now() - started;

    expect(response.importedCount).toBe(request.encounters.length);
    expect(importMs).toBeGreaterThan(1_000);
    expect(statuses.length).toBeGreaterThanOrEqual(3);
    expect(new Set(statuses)).toEqual(new Set(['SERVING']));
    // Generous bounds (the machine may be shared): a blocked loop would hold one check for the whole feature computation.
    expect(percentile(latenciesMs, 95)).toBeLessThan(1_000);
    expect(Math.max(...latenciesMs)).toBeLessThan(importMs / 2);
    console.log(
      `context health-check latency during a ${Math.round(importMs)} ms import ` +
        `(${request.encounters.length} encounters, ${(chars / 1e6).toFixed(1)}M chars, ${mesh.context.deps.cpuPool.threads} workers): ` +
        `${latenciesMs.length} checks, p50 ${percentile(latenciesMs, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(latenciesMs, 95).toFixed(1)} ms, max ${Math.max(...latenciesMs).toFixed(1)} ms`,
    );
  });

  it('answers DEADLINE_EXCEEDED to an import past its deadline, abandons its work and stores nothing', async () => {
    const pool = mesh.context.deps.cpuPool;
    const workersBefore = pool.threadIds;
    const request = longImport('late');
    const started = performance.now();
    await expect(clientCaller(context, 1_000)(context.importEncounters, request)).rejects.toBeInstanceOf(DeadlineExceededError);
    const refusedMs = performance.now() - started;

    // The server gave up too: its tasks are gone, the workers that ran them replaced, nothing stored.
    await eventually(() => pool.inFlight === 0 && pool.threadIds.some((id) => !workersBefore.includes(id)));
    // Re-imports are skipped by external id: the first encounter imports now, so it was not stored then.
    const again = await call(context, context.importEncounters, { userId, encounters: request.encounters.slice(0, 1) });
    expect(again.importedCount).toBe(1);
    expect(await healthStatus(mesh.context.port, '', mesh.secrets.channelCredentials())).toBe('SERVING');
    console.log(`short-deadline import refused after ${Math.round(refusedMs)} ms; its pool tasks abandoned and workers replaced`);
  });
});
