// ExtractStream through the real mesh: the order of its events, the SOP results before the save,
// Extract's validation, idempotency and audit, and a client that cancels mid-stream saving nothing.
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '@clinote/shared/errors.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { ACI_BENCH_SECTIONS, SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import type { ExtractStreamRequest, ExtractStreamResponse, GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { callServerStreaming } from '@clinote/shared/grpc-client.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { initTelemetry } from '@clinote/shared/telemetry.js';
import { PHASES } from '@clinote/gateway/handlers/extract.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call, refusal } from './support/grpc.js';

initTelemetry({ serviceName: 'clinote-test', spanExporter: new InMemorySpanExporter() });

const train = loadAciBench('train');
const valid = loadAciBench('valid');
const ADMIN = `admin-${randomUUID()}`;

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let auditor: GatewayServiceClient;
let userId: string;
let sopIds: string[];

function request(sample: number, idempotencyKey = ''): ExtractStreamRequest {
  return { userId: '', transcript: valid[sample]!.src, sopIds, idempotencyKey, referenceNote: valid[sample]!.tgt };
}

/** Every message of one ExtractStream call, in order; `onEvent` sees each as it arrives. */
async function streamed(req: ExtractStreamRequest, signal?: AbortSignal, onEvent?: (e: ExtractStreamResponse) => void): Promise<ExtractStreamResponse[]> {
  const events: ExtractStreamResponse[] = [];
  for await (const event of callServerStreaming(mesh.client, mesh.client.extractStream, req, { signal }, 60_000)) {
    events.push(event);
    onEvent?.(event);
  }
  return events;
}

/** A readable name per event: "+phase", "-phase", "sop", "saved". */
function shape(e: ExtractStreamResponse): string {
  if (e.phaseStarted) return `+${e.phaseStarted.phase}`;
  if (e.phaseEnded) return `-${e.phaseEnded.phase}`;
  if (e.sop) return 'sop';
  return e.saved ? 'saved' : 'empty';
}

async function extractionCount(): Promise<number> {
  return (await call(mesh.client, mesh.client.listExtractions, { userId: '', pageSize: 100, pageToken: '' })).extractions.length;
}

async function auditOf(rpc: string) {
  const page = await call(auditor, auditor.listAuditEvents, { userId, startTime: undefined, endTime: undefined, pageSize: 500, pageToken: '' });
  return page.events.filter((e) => e.rpc === rpc);
}

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_extract_stream');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: '', env: { AUTH_ADMIN_SUBJECTS: ADMIN } });
  auditor = await mesh.clientAs(ADMIN);
  userId = (await call(mesh.client, mesh.client.createUser, { email: 'stream@test.local', displayName: 'stream' })).user!.id;
  sopIds = [
    (await call(mesh.client, mesh.client.createSop, { userId: '', name: 'SOAP', sections: SOAP_NOTE_SECTIONS })).sop!.id,
    (await call(mesh.client, mesh.client.createSop, { userId: '', name: 'ACI', sections: ACI_BENCH_SECTIONS })).sop!.id,
  ];
  await call(mesh.client, mesh.client.importEncounters, {
    userId: '',
    encounters: train.slice(0, 6).map((e) => ({ transcript: e.src, note: e.tgt, externalId: e.file, qualityScore: undefined })),
  });
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
});

describe('ExtractStream', () => {
  it('streams each phase as it starts and ends, each SOP result before the save, then the saved extraction', async () => {
    const events = await streamed(request(0, 'stream-1'));
    const names = events.map(shape);
    console.log('ExtractStream events:', names.join(' '));
    expect(names).toEqual([
      '+phase_1_user_lookup',
      '-phase_1_user_lookup',
      '+phase_2_context_gathering',
      '-phase_2_context_gathering',
      '+phase_3_smart_context_selection',
      '-phase_3_smart_context_selection',
      '+baml_extraction',
      '+evaluation_phase',
      'sop',
      'sop',
      '-baml_extraction',
      '-evaluation_phase',
      '+database_save_and_embeddings',
      '-database_save_and_embeddings',
      'saved',
    ]);
    expect(names.indexOf('sop')).toBeLessThan(names.indexOf('+database_save_and_embeddings'));
    const selection = events.find((e) => e.phaseEnded?.phase === 'phase_3_smart_context_selection')!.phaseEnded!.selection!;
    expect(selection.context.length).toBeGreaterThan(0);

    const { extraction, replayed } = events.at(-1)!.saved!;
    expect(replayed).toBe(false);
    const sops = events.filter((e) => e.sop).map((e) => e.sop!);
    expect(new Set(sops.map((s) => s.result!.sopId))).toEqual(new Set(sopIds));
    for (const sop of sops) {
      const i = extraction!.results.findIndex((r) => r.sopId === sop.result!.sopId);
      expect(extraction!.results[i]).toEqual(sop.result);
      expect(extraction!.evaluations[i]).toEqual(sop.evaluation);
    }
    expect(extraction!.phaseTimings.map((t) => t.phase)).toEqual([...PHASES]);
    expect(extraction!.context.map((c) => c.encounterId)).toEqual(selection.context.map((c) => c.encounterId));
    expect(await extractionCount()).toBe(1);

    // The same key replays, on the stream and through Extract: nothing new is saved.
    const again = await streamed(request(0, 'stream-1'));
    expect(again.map(shape)).toEqual(['+phase_1_user_lookup', '-phase_1_user_lookup', '+phase_2_context_gathering', '-phase_2_context_gathering', 'saved']);
    expect(again.at(-1)!.saved).toMatchObject({ replayed: true, extraction: { id: extraction!.id } });
    const unary = await call(mesh.client, mesh.client.extract, request(0, 'stream-1'));
    expect(unary).toMatchObject({ replayed: true, extraction: { id: extraction!.id } });
    expect(await extractionCount()).toBe(1);

    // Audited like Extract: one record per call, naming the extraction.
    const records = await auditOf('ExtractStream');
    expect(records.map((r) => [r.outcome, r.resourceId])).toEqual([
      ['OK', extraction!.id],
      ['OK', extraction!.id],
    ]);
  });

  it('refuses what Extract refuses, with the same statuses', async () => {
    const empty = await refusal(streamed({ ...request(1), transcript: '  ' }));
    expect(empty.code).toBe(status.INVALID_ARGUMENT);
    expect(empty.violations.map((v) => v.field)).toEqual(['transcript']);
    const unknown = await refusal(streamed({ ...request(1), sopIds: ['00000000-0000-4000-8000-000000000000'] }));
    expect(unknown.code).toBe(status.NOT_FOUND);
    const reused = await refusal(streamed({ ...request(1), idempotencyKey: 'stream-1' }));
    expect(reused.code).toBe(status.ALREADY_EXISTS);
    const stranger = await mesh.clientAs(`stranger-${randomUUID()}`);
    await call(stranger, stranger.createUser, { email: 'stranger@test.local', displayName: 'stranger' });
    const foreign = await refusal(
      (async () => {
        for await (const _ of callServerStreaming(stranger, stranger.extractStream, request(1), {}, 60_000)) void _;
      })(),
    );
    expect(foreign.code).toBe(status.NOT_FOUND);
  });

  it('stops the work and saves nothing when the client cancels mid-stream', async () => {
    const before = await extractionCount();
    const cancel = new AbortController();
    const seen: string[] = [];
    await expect(
      streamed(request(2, 'cancelled-1'), cancel.signal, (e) => {
        seen.push(shape(e));
        if (e.sop) cancel.abort();
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(seen.at(-1)).toBe('sop');
    // The gateway writes the call's audit record once its handler is done: after that nothing can be saved.
    let records = await auditOf('ExtractStream');
    for (let tries = 0; !records.some((r) => r.outcome === 'CANCELLED') && tries < 500; tries++) records = await auditOf('ExtractStream');
    expect(records.some((r) => r.outcome === 'CANCELLED')).toBe(true);
    expect(await extractionCount()).toBe(before);
    // Nothing was saved under its key either: the same request now extracts afresh.
    const retried = await call(mesh.client, mesh.client.extract, request(2, 'cancelled-1'));
    expect(retried.replayed).toBe(false);
    expect(await extractionCount()).toBe(before + 1);
  });
});
