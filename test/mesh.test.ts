// The extraction mesh end to end: four real gRPC services on port 0, a fresh Postgres database,
// real Redis, one trace across all of them.
import { status } from '@grpc/grpc-js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTelemetry } from '@clinote/shared/telemetry.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { ACI_BENCH_SECTIONS, SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { ContextStopReason } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { ContextServiceClient } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { loadConfig as loadContextConfig } from '@clinote/context/config.js';
import { startContext } from '@clinote/context/server.js';
import { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { EmbeddingServiceClient } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { PHASES } from '@clinote/gateway/handlers/extract.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL, REDIS_URL } from './support/env.js';
import { bufCurl, call, healthStatus, refusal } from './support/grpc.js';

const exporter = new InMemorySpanExporter();
initTelemetry({ serviceName: 'clinote-test', spanExporter: exporter });

const train = loadAciBench('train');
const valid = loadAciBench('valid');

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let queries = 0;
let userId: string;
type Clinician = { id: string; client: GatewayServiceClient };
let soapId: string;
let aciId: string;

/** A new clinician: a fresh token subject, provisioned by its first call. */
async function newUser(label: string): Promise<Clinician> {
  const client = await mesh.clientAs(`${label}-${Math.random().toString(36).slice(2)}`);
  const { user } = await call(client, client.createUser, { email: `${label}@test.local`, displayName: label });
  return { id: user!.id, client };
}

async function extractionCount(client: GatewayServiceClient = mesh.client): Promise<number> {
  const page = await call(client, client.listExtractions, { userId: '', pageSize: 100, pageToken: '' });
  return page.extractions.length;
}

/** A SaveEncounter request as the gateway sends it after an extraction (no results: only the pool's inputs matter here). */
function savedEncounter(transcript: string, embedding: number[], embeddingModel: string) {
  return {
    userId: '',
    idempotencyKey: '',
    embedding,
    embeddingModel,
    encounter: {
      id: '',
      userId: '',
      transcript,
      note: 'Assessment: stable.',
      results: [],
      evaluations: [],
      overall: undefined,
      context: [],
      contextStopReason: 0,
      phaseTimings: [],
      traceId: '',
      usage: [],
      createdAt: undefined,
      qualityScore: 0.7,
    },
  };
}

/** A context-service client as the gateway calls it: its certificate and an identity token for the user. */
function contextAs(user: string, port = mesh.context.port): ContextServiceClient {
  return mesh.secrets.internalClient(ContextServiceClient, port, user);
}

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test');
  mesh = await startMesh({
    databaseUrl: db.url,
    redisUrl: REDIS_URL,
    env: { REDIS_KEY_PREFIX: `clinote:test:${Date.now()}:` },
    onContextQuery: () => queries++,
  });
  userId = (await call(mesh.client, mesh.client.createUser, { email: 'clinician@test.local', displayName: 'clinician' })).user!.id;
  soapId = (await call(mesh.client, mesh.client.createSop, { userId, name: 'SOAP', sections: SOAP_NOTE_SECTIONS })).sop!.id;
  aciId = (await call(mesh.client, mesh.client.createSop, { userId, name: 'ACI', sections: ACI_BENCH_SECTIONS })).sop!.id;
  await call(mesh.client, mesh.client.importEncounters, {
    userId,
    encounters: train.slice(0, 12).map((e) => ({ transcript: e.src, note: e.tgt, externalId: e.file, qualityScore: undefined })),
  });
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
});

describe('extraction through the gateway', () => {
  it('returns a result per SOP, saves one encounter, and replays the same id for the same idempotency key', async () => {
    const request = {
      userId,
      transcript: valid[0]!.src,
      sopIds: [soapId, aciId],
      idempotencyKey: 'visit-1',
      referenceNote: valid[0]!.tgt,
    };
    const first = await call(mesh.client, mesh.client.extract, request);
    const x = first.extraction!;
    expect(first.replayed).toBe(false);
    expect(x.results.map((r) => r.sopId)).toEqual([soapId, aciId]);
    for (const result of x.results) {
      expect(result.sections.length).toBeGreaterThan(0);
      expect(result.renderedNote.length).toBeGreaterThan(100);
    }
    expect(x.context.length).toBeGreaterThan(0);
    expect(x.phaseTimings.map((p) => p.phase)).toEqual([
      'phase_1_user_lookup',
      'phase_2_context_gathering',
      'phase_3_smart_context_selection',
      'baml_extraction',
      'evaluation_phase',
      'database_save_and_embeddings',
    ]);
    expect(x.overall?.rouge?.rouge1).toBeGreaterThan(20);
    expect(x.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await extractionCount()).toBe(1);

    const second = await call(mesh.client, mesh.client.extract, request);
    expect(second.replayed).toBe(true);
    expect(second.extraction!.id).toBe(x.id);
    expect(await extractionCount()).toBe(1);

    const reused = await refusal(call(mesh.client, mesh.client.extract, { ...request, transcript: valid[1]!.src }));
    expect(reused.code).toBe(status.ALREADY_EXISTS);
    expect(await extractionCount()).toBe(1);

    const fetched = await call(mesh.client, mesh.client.getExtraction, { userId, extractionId: x.id });
    expect(fetched.extraction!.results).toEqual(x.results);
  });

  it('puts spans of all four services and the six phases on one trace', async () => {
    exporter.reset();
    const { extraction } = await call(mesh.client, mesh.client.extract, {
      userId,
      transcript: valid[1]!.src,
      sopIds: [soapId],
      idempotencyKey: '',
      referenceNote: '',
    });
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === extraction!.traceId);
    const scopes = new Set(spans.map((s) => s.instrumentationScope.name));
    expect(scopes).toEqual(new Set(['clinote-gateway', 'clinote-context', 'clinote-embedding', 'clinote-extraction']));
    const names = new Set(spans.map((s) => s.name));
    for (const phase of PHASES) expect(names).toContain(phase);
    // Patient text never lands in span attributes.
    const fragment = valid[1]!.src.slice(200, 240);
    for (const span of spans) expect(JSON.stringify(span.attributes)).not.toContain(fragment);
  });
});

describe('listing extractions', () => {
  it('pages newest first without gaps or repeats', async () => {
    const all = await call(mesh.client, mesh.client.listExtractions, { userId, pageSize: 100, pageToken: '' });
    expect(all.extractions.length).toBeGreaterThanOrEqual(2);
    const times = all.extractions.map((x) => x.createdAt!.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const paged: string[] = [];
    let pageToken = '';
    do {
      const page = await call(mesh.client, mesh.client.listExtractions, { userId, pageSize: 1, pageToken });
      paged.push(...page.extractions.map((x) => x.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(paged).toEqual(all.extractions.map((x) => x.id));
    const bad = await refusal(call(mesh.client, mesh.client.listExtractions, { userId, pageSize: 1, pageToken: 'garbage' }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('SOP versions', () => {
  it('creates a new version on update and records it on the extraction', async () => {
    const { sop } = await call(mesh.client, mesh.client.createSop, { userId, name: 'Versioned', sections: SOAP_NOTE_SECTIONS });
    const updated = await call(mesh.client, mesh.client.updateSop, {
      userId,
      sopId: sop!.id,
      name: 'Versioned',
      sections: SOAP_NOTE_SECTIONS.slice(0, 2),
    });
    expect(updated.sop!.version).toBe(2);
    const { extraction } = await call(mesh.client, mesh.client.extract, {
      userId,
      transcript: valid[3]!.src,
      sopIds: [sop!.id],
      idempotencyKey: '',
      referenceNote: '',
    });
    expect(extraction!.results[0]!.sopVersion).toBe(2);
    expect(extraction!.results[0]!.sections.map((s) => s.key)).toEqual(SOAP_NOTE_SECTIONS.slice(0, 2).map((s) => s.key));
  });
});

describe('each service', () => {
  it('reports SERVING on grpc.health.v1', async () => {
    expect(await healthStatus(mesh.gateway.port)).toBe('SERVING');
    for (const svc of [mesh.context, mesh.embedding, mesh.extraction]) {
      expect(await healthStatus(svc.port, '', mesh.secrets.channelCredentials())).toBe('SERVING');
    }
    expect(await healthStatus(mesh.gateway.port, 'clinote.gateway.v1.GatewayService')).toBe('SERVING');
  });

  it('lists its service and health through server reflection (buf curl)', async () => {
    const expected: Array<[number, string]> = [
      [mesh.gateway.port, 'clinote.gateway.v1.GatewayService/Extract'],
      [mesh.context.port, 'clinote.context.v1.ContextService/GatherContext'],
      [mesh.embedding.port, 'clinote.embedding.v1.EmbeddingService/EmbedBatch'],
      [mesh.extraction.port, 'clinote.extraction.v1.ExtractionService/Evaluate'],
    ];
    const tls = mesh.secrets.pki.forService('gateway');
    const internalTls = ['--cacert', tls.GRPC_TLS_CA, '--cert', tls.GRPC_TLS_CERT, '--key', tls.GRPC_TLS_KEY];
    for (const [port, method] of expected) {
      const target = port === mesh.gateway.port ? [`http://127.0.0.1:${port}`] : [...internalTls, `https://127.0.0.1:${port}`];
      const listed = await bufCurl(['--list-methods', ...target]);
      expect(listed).toContain(method);
      expect(listed).toContain('grpc.health.v1.Health/Check');
    }
    const identity = await mesh.secrets.identityTokenFor(userId);
    const stats = JSON.parse(
      await bufCurl([
        ...internalTls,
        '-H',
        `x-clinote-identity: ${identity}`,
        '-d',
        '{}',
        `https://127.0.0.1:${mesh.embedding.port}/clinote.embedding.v1.EmbeddingService/GetCacheStats`,
      ]),
    ) as { totalEntries?: string };
    expect(Number(stats.totalEntries)).toBeGreaterThan(0);
  });
});

describe('bad input', () => {
  const base = () => ({ userId, transcript: valid[2]!.src, sopIds: [soapId], idempotencyKey: '', referenceNote: '' });

  it('refuses with a precise status and saves nothing', async () => {
    const before = await extractionCount();
    const other = await newUser('other');
    const foreignSop = (await call(other.client, other.client.createSop, { userId: '', name: 'Theirs', sections: SOAP_NOTE_SECTIONS })).sop!;

    const empty = await refusal(call(mesh.client, mesh.client.extract, { ...base(), transcript: '   ' }));
    expect(empty.code).toBe(status.INVALID_ARGUMENT);
    expect(empty.violations.map((v) => v.field)).toEqual(['transcript']);

    const oversize = await refusal(call(mesh.client, mesh.client.extract, { ...base(), transcript: 'a'.repeat(200_001) }));
    expect(oversize.code).toBe(status.INVALID_ARGUMENT);
    expect(oversize.violations.map((v) => v.field)).toEqual(['transcript']);

    const unknown = await refusal(
      call(mesh.client, mesh.client.extract, { ...base(), sopIds: ['00000000-0000-4000-8000-000000000000'] }),
    );
    expect(unknown.code).toBe(status.NOT_FOUND);

    // Another clinician's SOP is reported as absent, never as someone else's.
    const foreign = await refusal(call(mesh.client, mesh.client.extract, { ...base(), sopIds: [foreignSop.id] }));
    expect(foreign.code).toBe(status.NOT_FOUND);

    const malformed = await refusal(call(mesh.client, mesh.client.extract, { ...base(), sopIds: ['not-a-uuid', soapId, soapId] }));
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    expect(malformed.violations.map((v) => v.field)).toEqual(['sop_ids[0]', 'sop_ids[2]']);

    const sopsBefore = (await call(mesh.client, mesh.client.listSops, { userId, includeInactive: true })).sops.length;
    const noSections = await refusal(call(mesh.client, mesh.client.createSop, { userId, name: 'Empty', sections: [] }));
    expect(noSections.code).toBe(status.INVALID_ARGUMENT);
    expect(noSections.violations.map((v) => v.field)).toEqual(['sections']);
    expect((await call(mesh.client, mesh.client.listSops, { userId, includeInactive: true })).sops.length).toBe(sopsBefore);

    const notMe = await refusal(call(mesh.client, mesh.client.extract, { ...base(), userId: other.id }));
    expect(notMe.code).toBe(status.PERMISSION_DENIED);

    await call(other.client, other.client.deactivateSop, { userId: other.id, sopId: foreignSop.id });
    const theirs = await refusal(
      call(other.client, other.client.extract, { ...base(), userId: '', sopIds: [foreignSop.id] }),
    );
    expect(theirs.code).toBe(status.FAILED_PRECONDITION);

    expect(await extractionCount()).toBe(before);
    expect(await extractionCount(other.client)).toBe(0);
  });
});

describe('context gathering', () => {
  it('issues the same number of queries whatever the number of past encounters, cold, warm and after a save', async () => {
    const model = mesh.embedding.deps.embedder.model;
    const samples = train.slice(0, 30);
    const embedder = mesh.secrets.internalClient(EmbeddingServiceClient, mesh.embedding.port, userId);
    const vectors = (await call(embedder, embedder.embedBatch, { texts: samples.map((e) => e.src) })).embeddings.map((e) => e.values);
    embedder.close();
    const counts: { cold: number; warm: number; afterSave: number; rowsAfterSave: number }[] = [];
    for (const size of [2, 30, 300]) {
      const user = await newUser(`pool-${size}`);
      const context = contextAs(user.id);
      try {
        const sop = (await call(user.client, user.client.createSop, { userId: '', name: 'SOAP', sections: SOAP_NOTE_SECTIONS })).sop!;
        await call(context, context.importEncounters, {
          userId: '',
          encounters: Array.from({ length: size }, (_, i) => {
            const e = samples[i % samples.length]!;
            return { transcript: e.src, note: e.tgt, externalId: `${e.file}-${i}`, qualityScore: 0.9, embedding: vectors[i % samples.length]!, embeddingModel: model };
          }),
        });
        const gather = async (): Promise<number> => {
          const before = queries;
          const gathered = await call(context, context.gatherContext, { userId: '', sopIds: [sop.id], idempotencyKey: 'k', embeddingModel: model });
          expect(gathered.candidateCount).toBeGreaterThanOrEqual(size);
          return queries - before;
        };
        const cold = await gather();
        const warm = await gather();
        await call(context, context.saveEncounter, savedEncounter(valid[0]!.src, vectors[0]!, model));
        // Another replica's save: this replica's pool does not have it yet.
        await call(context, context.importEncounters, {
          userId: '',
          encounters: [{ transcript: samples[1]!.src, note: samples[1]!.tgt, externalId: 'later', qualityScore: 0.9, embedding: vectors[1]!, embeddingModel: model }],
        });
        const rowsBefore = mesh.context.deps.candidatePools.stats().rowsLoaded;
        const afterSave = await gather();
        counts.push({ cold, warm, afterSave, rowsAfterSave: mesh.context.deps.candidatePools.stats().rowsLoaded - rowsBefore });
      } finally {
        context.close();
      }
    }
    console.log('gather queries by history size (2, 30, 300):', JSON.stringify(counts));
    expect(counts[0]!.cold).toBeGreaterThan(0);
    for (const c of counts) expect(c).toEqual(counts[0]);
    // One transaction (BEGIN, the identity, COMMIT) around: cold, SOPs, replay, history mark and the
    // pool; warm, no pool query; after saves elsewhere, only the newer rows (here one).
    const transaction = counts[0]!.cold - 4;
    expect(transaction).toBeLessThanOrEqual(3);
    expect(counts[0]).toEqual({ cold: transaction + 4, warm: transaction + 3, afterSave: transaction + 4, rowsAfterSave: 1 });
  });

  it('never reloads a warm pool under concurrent saves, and reloads it once after a deletion on another replica', async () => {
    const replica = await startContext(
      loadContextConfig({
        DATABASE_URL: db.url,
        GRPC_ADDRESS: '127.0.0.1:0',
        LOG_LEVEL: 'warn',
        DB_POOL_MIN: '0',
        DB_POOL_MAX: '4',
        ...mesh.secrets.envFor('context'),
      }),
    );
    const user = await newUser('concurrent');
    const a = contextAs(user.id);
    const b = contextAs(user.id, replica.port);
    const embedder = mesh.secrets.internalClient(EmbeddingServiceClient, mesh.embedding.port, user.id);
    try {
      const sop = (await call(user.client, user.client.createSop, { userId: '', name: 'SOAP', sections: SOAP_NOTE_SECTIONS })).sop!;
      const texts = valid.slice(0, 12).map((e) => e.src);
      const embedded = await call(embedder, embedder.embedBatch, { texts });
      const model = embedded.model;
      const gather = async (client: ContextServiceClient) =>
        (await call(client, client.gatherContext, { userId: '', sopIds: [sop.id], idempotencyKey: '', embeddingModel: model })).candidateCount;
      const first = await call(a, a.saveEncounter, savedEncounter(texts[0]!, embedded.embeddings[0]!.values, model));
      expect(await gather(a)).toBe(1);
      const pools = mesh.context.deps.candidatePools;
      const loads = pools.stats().loads;
      // Saves on both replicas, interleaved with gathers on this one.
      await Promise.all([
        ...texts.slice(1).map((t, i) => call(i % 2 ? a : b, (i % 2 ? a : b).saveEncounter, savedEncounter(t, embedded.embeddings[i + 1]!.values, model))),
        ...Array.from({ length: 6 }, () => gather(a)),
      ]);
      expect(await gather(a)).toBe(12);
      expect(pools.stats().loads).toBe(loads);

      expect(await gather(b)).toBe(12);
      await call(b, b.deleteEncounter, { userId: '', encounterId: first.encounter!.id, extractionsOnly: false });
      expect(await gather(a)).toBe(11);
      expect(pools.stats().loads).toBe(loads + 1);
    } finally {
      a.close();
      b.close();
      embedder.close();
      await replica.stop();
    }
  });

  it('keeps encounters embedded by another model out of the pool, without failing', async () => {
    const user = await newUser('models');
    const context = contextAs(user.id);
    try {
      const sop = (await call(user.client, user.client.createSop, { userId: '', name: 'SOAP', sections: SOAP_NOTE_SECTIONS })).sop!;
      await call(user.client, user.client.importEncounters, {
        userId: '',
        encounters: train.slice(0, 2).map((e) => ({ transcript: e.src, note: e.tgt, externalId: e.file, qualityScore: 0.8 })),
      });
      const other = train[2]!;
      await call(context, context.importEncounters, {
        userId: '',
        encounters: [{ transcript: other.src, note: other.tgt, externalId: other.file, qualityScore: 0.8, embedding: [0.6, 0.8, 0], embeddingModel: 'another-model' }],
      });
      const model = mesh.embedding.deps.embedder.model;
      expect((await call(context, context.gatherContext, { userId: '', sopIds: [sop.id], idempotencyKey: '', embeddingModel: model })).candidateCount).toBe(2);
      const { extraction } = await call(user.client, user.client.extract, {
        userId: '',
        transcript: valid[5]!.src,
        sopIds: [sop.id],
        idempotencyKey: '',
        referenceNote: '',
      });
      expect(extraction!.context.length).toBeGreaterThan(0);
      expect(extraction!.context.map((c) => c.encounterId)).not.toContain(other.file);
    } finally {
      context.close();
    }
  });

  it('chooses no context, rather than failing, when the embedder changed dimension', async () => {
    const context = contextAs(userId);
    try {
      const selected = await call(context, context.selectContext, {
        userId: '',
        transcript: valid[4]!.src,
        transcriptEmbedding: [0.6, 0.8, 0],
        sopIds: [soapId],
        model: 'gpt-4o',
        contextWindow: 0,
        reservedOutputTokens: 0,
        embeddingModel: mesh.embedding.deps.embedder.model,
      });
      expect(selected.choices).toEqual([]);
      expect(selected.stopReason).toBe(ContextStopReason.CONTEXT_STOP_REASON_NO_CANDIDATES);
      // The SOPs as selection read them, for the extraction.
      expect(selected.sops.map((s) => s.id)).toEqual([soapId]);
      expect(selected.sops[0]!.sections.length).toBeGreaterThan(0);
    } finally {
      context.close();
    }
  });

  it("sees encounters another replica saved since its pool was warmed", async () => {
    const replica = await startContext(
      loadContextConfig({
        DATABASE_URL: db.url,
        GRPC_ADDRESS: '127.0.0.1:0',
        LOG_LEVEL: 'warn',
        DB_POOL_MIN: '0',
        DB_POOL_MAX: '4',
        ...mesh.secrets.envFor('context'),
      }),
    );
    const user = await newUser('replicas');
    const a = contextAs(user.id);
    const b = contextAs(user.id, replica.port);
    const embedding = mesh.secrets.internalClient(EmbeddingServiceClient, mesh.embedding.port, user.id);
    try {
      const sop = (await call(user.client, user.client.createSop, { userId: '', name: 'SOAP', sections: SOAP_NOTE_SECTIONS })).sop!;
      await call(user.client, user.client.importEncounters, {
        userId: '',
        encounters: train.slice(0, 3).map((e) => ({ transcript: e.src, note: e.tgt, externalId: e.file, qualityScore: 0.8 })),
      });
      const model = mesh.embedding.deps.embedder.model;
      expect((await call(a, a.gatherContext, { userId: '', sopIds: [sop.id], idempotencyKey: '', embeddingModel: model })).candidateCount).toBe(3);
      // Nothing changed: the warm pool is reused, not reloaded.
      const loads = mesh.context.deps.candidatePools.stats().loads;
      expect((await call(a, a.gatherContext, { userId: '', sopIds: [sop.id], idempotencyKey: '', embeddingModel: model })).candidateCount).toBe(3);
      expect(mesh.context.deps.candidatePools.stats().loads).toBe(loads);

      const extra = train[3]!;
      const embedded = await call(embedding, embedding.embedBatch, { texts: [extra.src] });
      await call(b, b.importEncounters, {
        userId: '',
        encounters: [{ transcript: extra.src, note: extra.tgt, externalId: extra.file, qualityScore: 0.8, embedding: embedded.embeddings[0]!.values, embeddingModel: embedded.model }],
      });
      expect((await call(a, a.gatherContext, { userId: '', sopIds: [sop.id], idempotencyKey: '', embeddingModel: embedded.model })).candidateCount).toBe(4);
    } finally {
      a.close();
      b.close();
      embedding.close();
      await replica.stop();
    }
  });
});
