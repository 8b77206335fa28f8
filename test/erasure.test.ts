// Erasure end to end: DeleteUser removes a clinician from every table of every schema (enumerated
// from the catalog, so a new table cannot be forgotten), from Redis and from the warm caches, leaves
// other clinicians intact, is safe to retry, and completes after a failure midway. DeleteEncounter
// and DeleteExtraction reach only the caller's own rows.
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCacheKeySecret } from '@clinote/embedding/cache-key-secret.js';
import { userIndexTag } from '@clinote/embedding/domain/cache-key.js';
import { startEmbedding } from '@clinote/embedding/server.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import type { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL, REDIS_URL } from './support/env.js';
import { call, refusal } from './support/grpc.js';

const train = loadAciBench('train');
const valid = loadAciBench('valid');
const PREFIX = `clinote:test:erasure:${randomUUID()}:`;
const ADMIN_SUBJECT = `admin-${randomUUID()}`;
const SCHEMAS = ['gateway', 'context', 'embedding', 'extraction'];
/** Kept by design when a clinician is erased: ids and status names only, never content. */
const RETAINED = new Set(['gateway.audit_event']);

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let admin: pg.Client;
let redis: Redis;
/** The embedding service restarted by the interrupted-saga test, serving the rest of the file. */
let restarted: Awaited<ReturnType<typeof startEmbedding>> | undefined;

interface Clinician {
  subject: string;
  client: GatewayServiceClient;
  userId: string;
  email: string;
  sopIds: string[];
  encounterIds: string[];
  extractionIds: string[];
  /** A marker that only this clinician's texts contain (ACI-Bench repeats dialogues across its subsets). */
  marker: string;
}

/** A clinician with a profile, two SOPs (one updated: two versions), imported encounters and extractions. */
async function clinician(label: string, n: number): Promise<Clinician> {
  const subject = `${label}-${randomUUID()}`;
  const marker = `marker-${randomUUID()}`;
  const marked = (text: string) => `${text}\n[doctor] ${marker}`;
  const client = await mesh.clientAs(subject);
  const email = `${label}-${randomUUID().slice(0, 8)}@test.local`;
  const { user } = await call(client, client.createUser, { email, displayName: label });
  const soap = (await call(client, client.createSop, { userId: '', name: `${label} SOAP`, sections: SOAP_NOTE_SECTIONS })).sop!;
  await call(client, client.updateSop, { userId: '', sopId: soap.id, name: `${label} SOAP v2`, sections: SOAP_NOTE_SECTIONS });
  const brief = (await call(client, client.createSop, { userId: '', name: `${label} brief`, sections: SOAP_NOTE_SECTIONS.slice(0, 2) })).sop!;
  const past = train.slice(n * 3, n * 3 + 3);
  const imported = await call(client, client.importEncounters, {
    userId: '',
    encounters: past.map((e) => ({ transcript: marked(e.src), note: marked(e.tgt), externalId: `${label}-${e.file}`, qualityScore: undefined })),
  });
  const extractionIds: string[] = [];
  for (const [i, visit] of valid.slice(n * 2, n * 2 + 2).entries()) {
    const { extraction } = await call(client, client.extract, {
      userId: '',
      transcript: marked(visit.src),
      sopIds: [soap.id, brief.id],
      idempotencyKey: `${label}-visit-${i}`,
      referenceNote: '',
    });
    extractionIds.push(extraction!.id);
  }
  // The offline extractor calls no LLM: usage rows as the OpenAI extractor would write them.
  await admin.query(
    `insert into extraction.llm_usage (id, user_id, sop_id, model, prompt_tokens, completion_tokens, cost_usd)
     values (gen_random_uuid(), $1, $2, 'test-model', 10, 5, 0.001)`,
    [user!.id, soap.id],
  );
  return {
    subject,
    client,
    userId: user!.id,
    email,
    sopIds: [soap.id, brief.id],
    encounterIds: imported.encounterIds,
    extractionIds,
    marker,
  };
}

/**
 * Every row of every table of the four schemas that mentions the clinician: an id of theirs in any
 * uuid or text-like column (user_id columns among them), or a fragment of their text.
 */
async function traces(who: Clinician): Promise<string[]> {
  const ids = [who.userId, ...who.sopIds, ...who.encounterIds, ...who.extractionIds];
  const needles = [...ids, who.email, who.marker];
  const { rows: columns } = await admin.query<{ table_schema: string; table_name: string; column_name: string; data_type: string }>(
    `select c.table_schema, c.table_name, c.column_name, c.data_type from information_schema.columns c
     join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
     where c.table_schema = any($1) and c.data_type in ('uuid', 'text', 'character varying', 'jsonb', 'json')
     order by 1, 2, 3`,
    [SCHEMAS],
  );
  expect(columns.some((c) => c.column_name === 'user_id' && c.table_schema === 'embedding')).toBe(true);
  const found: string[] = [];
  for (const c of columns) {
    const table = `${c.table_schema}.${c.table_name}`;
    if (RETAINED.has(table)) continue;
    const column = `"${c.column_name}"`;
    const sql =
      c.data_type === 'uuid'
        ? `select count(*)::int as n from ${c.table_schema}."${c.table_name}" where ${column}::text = any($1)`
        : `select count(*)::int as n from ${c.table_schema}."${c.table_name}" where exists (select 1 from unnest($1::text[]) needle where ${column}::text like '%' || needle || '%')`;
    const { rows } = await admin.query<{ n: number }>(sql, [c.data_type === 'uuid' ? ids : needles]);
    if (rows[0]!.n > 0) found.push(`${table}.${c.column_name}: ${rows[0]!.n}`);
  }
  return found;
}

async function redisKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** The clinician's Redis index and the keys it lists. */
async function redisEntriesOf(userId: string): Promise<{ index: string; keys: string[] }> {
  const secret = loadCacheKeySecret(mesh.embedding.deps.config);
  const index = `${PREFIX}user:${userIndexTag(secret, userId)}`;
  return { index, keys: await redis.zrange(index, 0, -1) };
}

async function rowCount(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(sql, params);
  return rows[0]!.n;
}

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_erasure');
  mesh = await startMesh({
    databaseUrl: db.url,
    redisUrl: REDIS_URL,
    env: { REDIS_KEY_PREFIX: PREFIX, AUTH_ADMIN_SUBJECTS: ADMIN_SUBJECT },
  });
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  if (redis) {
    const keys = await redisKeys();
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
  await admin?.end();
  await restarted?.stop();
  await mesh?.stop();
  await db?.drop();
});

describe('DeleteUser', () => {
  it("erases the caller from every table, Redis and the caches, leaves another clinician's data intact, and may be retried", async () => {
    const a = await clinician('a', 0);
    const b = await clinician('b', 1);
    expect(await traces(a)).not.toEqual([]);
    const aCache = await redisEntriesOf(a.userId);
    const bCache = await redisEntriesOf(b.userId);
    expect(aCache.keys.length).toBeGreaterThan(0);
    expect(bCache.keys.length).toBeGreaterThan(0);
    const bExtractions = await call(b.client, b.client.listExtractions, { userId: '', pageSize: 100, pageToken: '' });

    const { summary } = await call(a.client, a.client.deleteUser, { userId: '' });
    expect(summary).toMatchObject({
      encounters: 5,
      encounterEmbeddings: 5,
      sops: 2,
      sopVersions: 3,
      llmUsageRecords: 1,
      userRecordDeleted: true,
    });
    expect(summary!.embeddingCacheEntries).toBeGreaterThan(0);
    expect(summary!.embeddingCacheRedisKeys).toBe(aCache.keys.length);

    // Nothing of A in any table of any schema, nor in Redis.
    expect(await traces(a)).toEqual([]);
    const left = new Set(await redisKeys());
    expect(left.has(aCache.index)).toBe(false);
    for (const key of aCache.keys) expect(left.has(key)).toBe(false);
    for (const key of left) expect(key).not.toContain(a.userId);
    // B's data is all there, in Postgres and in Redis.
    expect(left.has(bCache.index)).toBe(true);
    for (const key of bCache.keys) expect(left.has(key)).toBe(true);
    expect(await rowCount('select count(*)::int as n from embedding.embedding_cache_entry where user_id = $1', [b.userId])).toBeGreaterThan(0);
    expect(await call(b.client, b.client.listExtractions, { userId: '', pageSize: 100, pageToken: '' })).toEqual(bExtractions);
    expect((await call(b.client, b.client.listSops, { userId: '', includeInactive: true })).sops.map((s) => s.id).sort()).toEqual([...b.sopIds].sort());
    // B's three imported encounters and two extractions.
    expect(await rowCount('select count(*)::int as n from context.encounter where user_id = $1', [b.userId])).toBe(5);

    // The subject comes back as a new, empty clinician; erasing again is fine.
    const { user } = await call(a.client, a.client.getUser, { userId: '' });
    expect(user!.id).not.toBe(a.userId);
    expect((await call(a.client, a.client.listSops, { userId: '', includeInactive: true })).sops).toEqual([]);
    const again = await call(a.client, a.client.deleteUser, { userId: '' });
    expect(again.summary).toMatchObject({ encounters: 0, sops: 0, llmUsageRecords: 0, embeddingCacheEntries: 0, userRecordDeleted: true });
  });

  it("lets an admin erase another clinician by id, and nobody else", async () => {
    const c = await clinician('c', 2);
    const stranger = await mesh.clientAs(`stranger-${randomUUID()}`);
    expect((await refusal(call(stranger, stranger.deleteUser, { userId: c.userId }))).code).toBe(status.PERMISSION_DENIED);
    expect(await traces(c)).not.toEqual([]);

    const adminClient = await mesh.clientAs(ADMIN_SUBJECT);
    const { summary } = await call(adminClient, adminClient.deleteUser, { userId: c.userId });
    expect(summary).toMatchObject({ encounters: 5, sops: 2, userRecordDeleted: true });
    expect(await traces(c)).toEqual([]);
    // The admin is still there; retrying the erasure of an erased id succeeds with nothing left.
    await call(adminClient, adminClient.getUser, { userId: '' });
    const again = await call(adminClient, adminClient.deleteUser, { userId: c.userId });
    expect(again.summary).toMatchObject({ encounters: 0, embeddingCacheEntries: 0, userRecordDeleted: false });
  });

  it('completes on retry after a service was down midway, refusing the clinician meanwhile', async () => {
    const d = await clinician('d', 3);
    const cache = await redisEntriesOf(d.userId);
    expect(cache.keys.length).toBeGreaterThan(0);
    const { port, deps } = mesh.embedding;
    const config = deps.config;
    await mesh.embedding.stop();
    expect((await refusal(call(d.client, d.client.deleteUser, { userId: '' }))).code).toBe(status.UNAVAILABLE);
      // Marked: every other call of the clinician is refused until the erasure completes.
    expect((await refusal(call(d.client, d.client.listSops, { userId: '', includeInactive: true }))).code).toBe(status.FAILED_PRECONDITION);
    expect(await rowCount('select count(*)::int as n from gateway.app_user where id = $1 and erasing_since is not null', [d.userId])).toBe(1);
    expect(await rowCount('select count(*)::int as n from embedding.embedding_cache_entry where user_id = $1', [d.userId])).toBeGreaterThan(0);

    // The embedding service comes back (same configuration and port); the retry finishes the job.
    restarted = await startEmbedding({ ...config, GRPC_ADDRESS: `127.0.0.1:${port}` });
    await new Promise<void>((resolve, reject) =>
      mesh.gateway.deps.embedding.waitForReady(Date.now() + 30_000, (err) => (err ? reject(err) : resolve())),
    );
    const { summary } = await call(d.client, d.client.deleteUser, { userId: '' });
    expect(summary).toMatchObject({ encounters: 0, llmUsageRecords: 0, userRecordDeleted: true });
    expect(summary!.embeddingCacheEntries).toBeGreaterThan(0);
    expect(await traces(d)).toEqual([]);
    const left = new Set(await redisKeys());
    expect(left.has(cache.index)).toBe(false);
    for (const key of cache.keys) expect(left.has(key)).toBe(false);
  });
});

describe('DeleteEncounter and DeleteExtraction', () => {
  let e: Clinician;
  let f: Clinician;
  beforeAll(async () => {
    e = await clinician('e', 4);
    f = await clinician('f', 5);
  });

  it("answer NOT_FOUND for another clinician's ids, and PERMISSION_DENIED for another clinician's user id", async () => {
    for (const encounterId of [f.encounterIds[0]!, f.extractionIds[0]!, randomUUID()]) {
      expect((await refusal(call(e.client, e.client.deleteEncounter, { userId: '', encounterId }))).code).toBe(status.NOT_FOUND);
    }
    expect((await refusal(call(e.client, e.client.deleteExtraction, { userId: '', extractionId: f.extractionIds[0]! }))).code).toBe(
      status.NOT_FOUND,
    );
    expect((await refusal(call(e.client, e.client.deleteExtraction, { userId: f.userId, extractionId: f.extractionIds[0]! }))).code).toBe(
      status.PERMISSION_DENIED,
    );
    // F's are untouched.
    const fetched = await call(f.client, f.client.getExtraction, { userId: '', extractionId: f.extractionIds[0]! });
    expect(fetched.extraction!.id).toBe(f.extractionIds[0]);
    expect(await rowCount('select count(*)::int as n from context.encounter where id = any($1)', [f.encounterIds])).toBe(3);
  });

  it('delete one extraction or one imported encounter of the caller, which then never comes back as context', async () => {
    // An imported encounter is not an extraction.
    expect((await refusal(call(e.client, e.client.deleteExtraction, { userId: '', extractionId: e.encounterIds[0]! }))).code).toBe(
      status.NOT_FOUND,
    );
    await call(e.client, e.client.deleteExtraction, { userId: '', extractionId: e.extractionIds[0]! });
    expect((await refusal(call(e.client, e.client.getExtraction, { userId: '', extractionId: e.extractionIds[0]! }))).code).toBe(
      status.NOT_FOUND,
    );
    // Gone is gone: deleting it again finds nothing.
    expect((await refusal(call(e.client, e.client.deleteExtraction, { userId: '', extractionId: e.extractionIds[0]! }))).code).toBe(
      status.NOT_FOUND,
    );

    for (const encounterId of e.encounterIds) await call(e.client, e.client.deleteEncounter, { userId: '', encounterId });
    const deleted = [...e.encounterIds, e.extractionIds[0]!];
    expect(await rowCount('select count(*)::int as n from context.encounter where id = any($1)', [deleted])).toBe(0);
    expect(await rowCount('select count(*)::int as n from context.encounter_embedding where encounter_id = any($1)', [deleted])).toBe(0);

    const { extraction } = await call(e.client, e.client.extract, {
      userId: '',
      transcript: valid[12]!.src,
      sopIds: [e.sopIds[0]!],
      idempotencyKey: '',
      referenceNote: '',
    });
    const chosen = extraction!.context.map((c) => c.encounterId);
    for (const id of deleted) expect(chosen).not.toContain(id);
    expect(chosen).toEqual(chosen.filter((id) => id === e.extractionIds[1]));
  });
});
