// The audit trail end to end: every gateway call that reads or writes patient data leaves one record
// (who, whose, which RPC and resource, outcome, trace id), never content; records cannot be changed or
// removed, survive the clinician's erasure, and are listed for admins only; an unwritten record
// refuses the call.
import { randomUUID } from 'node:crypto';
import { credentials, status } from '@grpc/grpc-js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDatabaseRoles } from '@clinote/shared/db-roles.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { GatewayServiceClient, type AuditEvent } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { initTelemetry } from '@clinote/shared/telemetry.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call, refusal } from './support/grpc.js';

initTelemetry({ serviceName: 'clinote-test', spanExporter: new InMemorySpanExporter() });

const train = loadAciBench('train');
const valid = loadAciBench('valid');
const ADMINS = [`admin-${randomUUID()}`, `admin-${randomUUID()}`];

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let admin: pg.Client;
let auditor: GatewayServiceClient;
let a: { client: GatewayServiceClient; userId: string; sopId: string; extractionId: string; traceId: string };
let b: { client: GatewayServiceClient; userId: string; extractionId: string };
const fragment = valid[0]!.src.slice(200, 260);

async function clinician(label: string, sample: number) {
  const client = await mesh.clientAs(`${label}-${randomUUID()}`);
  const { user } = await call(client, client.createUser, { email: `${label}@test.local`, displayName: label });
  const { sop } = await call(client, client.createSop, { userId: '', name: 'SOAP', sections: SOAP_NOTE_SECTIONS });
  await call(client, client.importEncounters, {
    userId: '',
    encounters: train.slice(sample, sample + 2).map((e) => ({ transcript: e.src, note: e.tgt, externalId: e.file, qualityScore: undefined })),
  });
  const { extraction } = await call(client, client.extract, {
    userId: '',
    transcript: valid[sample]!.src,
    sopIds: [sop!.id],
    idempotencyKey: '',
    referenceNote: '',
  });
  return { client, userId: user!.id, sopId: sop!.id, extractionId: extraction!.id, traceId: extraction!.traceId };
}

/** Every record of a clinician, through ListAuditEvents as an admin, following page tokens. */
async function recordsOf(userId: string, pageSize = 0, as = auditor): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let pageToken = '';
  do {
    const page = await call(as, as.listAuditEvents, { userId, startTime: undefined, endTime: undefined, pageSize, pageToken });
    events.push(...page.events);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return events;
}

async function auditRows(): Promise<number> {
  const { rows } = await admin.query<{ n: number }>('select count(*)::int as n from gateway.audit_event');
  return rows[0]!.n;
}

async function sqlState(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err: unknown) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_audit');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: '', env: { AUTH_ADMIN_SUBJECTS: ADMINS.join(',') } });
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  auditor = await mesh.clientAs(ADMINS[0]!);
  a = await clinician('a', 0);
  const other = await clinician('b', 3);
  b = { client: other.client, userId: other.userId, extractionId: other.extractionId };
  // A reads, lists, updates, and tries B's data.
  await call(a.client, a.client.getUser, { userId: '' });
  await call(a.client, a.client.updateSop, { userId: '', sopId: a.sopId, name: 'SOAP v2', sections: SOAP_NOTE_SECTIONS });
  await call(a.client, a.client.listSops, { userId: '', includeInactive: false });
  await call(a.client, a.client.getExtraction, { userId: '', extractionId: a.extractionId });
  await call(a.client, a.client.listExtractions, { userId: '', pageSize: 10, pageToken: '' });
  await refusal(call(a.client, a.client.getExtraction, { userId: '', extractionId: b.extractionId }));
  await refusal(call(a.client, a.client.getUser, { userId: b.userId }));
  await refusal(call(a.client, a.client.listAuditEvents, { userId: a.userId, startTime: undefined, endTime: undefined, pageSize: 0, pageToken: '' }));
});

afterAll(async () => {
  await admin?.end();
  await mesh?.stop();
  await db?.drop();
});

describe('the audit trail', () => {
  it('records every call on patient data with its outcome, resource and trace id', async () => {
    const records = await recordsOf(a.userId);
    const seen = records.map((r) => `${r.rpc} ${r.resourceType} ${r.outcome}`);
    for (const expected of [
      'CreateUser user OK',
      'CreateSop sop OK',
      'UpdateSop sop OK',
      'ListSops sop OK',
      'ImportEncounters encounter OK',
      'Extract extraction OK',
      'GetUser user OK',
      'GetExtraction extraction OK',
      'ListExtractions extraction OK',
      'GetExtraction extraction NOT_FOUND',
      'ListAuditEvents audit_event PERMISSION_DENIED',
    ]) {
      expect(seen).toContain(expected);
    }
    for (const r of records) {
      expect(r.actorUserId).toBe(a.userId);
      expect(r.subjectUserId).toBe(a.userId);
      expect(r.occurredAt!.getTime()).toBeLessThanOrEqual(Date.now());
    }
    const byRpc = (rpc: string, outcome = 'OK') => records.find((r) => r.rpc === rpc && r.outcome === outcome)!;
    expect(byRpc('CreateSop').resourceId).toBe(a.sopId);
    expect(byRpc('Extract').resourceId).toBe(a.extractionId);
    expect(byRpc('Extract').traceId).toBe(a.traceId);
    // A's attempt on B's extraction names the id A asked for; nothing says it is B's.
    expect(byRpc('GetExtraction', 'NOT_FOUND').resourceId).toBe(b.extractionId);
    expect(byRpc('ListExtractions').resourceId).toBe('');
    // Newest first.
    const ids = records.map((r) => r.id);
    expect([...ids].sort((x, y) => y - x)).toEqual(ids);

    // A's attempt to read B's profile concerns B's data: it is among B's records, refused.
    const ofB = await recordsOf(b.userId);
    expect(ofB.find((r) => r.rpc === 'GetUser' && r.actorUserId === a.userId)).toMatchObject({ outcome: 'PERMISSION_DENIED', resourceId: b.userId });
  });

  it('keeps one record per call when many calls of one clinician are recorded together', async () => {
    const ofGetExtraction = async () => (await recordsOf(b.userId)).filter((r) => r.rpc === 'GetExtraction');
    const before = (await ofGetExtraction()).length;
    // Concurrent calls: their records queue behind each other's insert and go in together.
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 4 === 0
          ? refusal(call(b.client, b.client.getExtraction, { userId: '', extractionId: randomUUID() })).then((r) => r.code)
          : call(b.client, b.client.getExtraction, { userId: '', extractionId: b.extractionId }).then(() => status.OK),
      ),
    );
    const all = await ofGetExtraction();
    expect(all.length - before).toBe(40);
    const records = all.slice(0, 40); // newest first
    expect(records.every((r) => r.subjectUserId === b.userId && r.actorUserId === b.userId)).toBe(true);
    expect(records.filter((r) => r.outcome === 'NOT_FOUND')).toHaveLength(outcomes.filter((o) => o === status.NOT_FOUND).length);
    expect(records.filter((r) => r.outcome === 'OK')).toHaveLength(30);
  });

  it('never holds content', async () => {
    const { rows } = await admin.query<{ n: number }>(
      `select count(*)::int as n from gateway.audit_event e where to_jsonb(e)::text like '%' || $1 || '%' or to_jsonb(e)::text like '%SOAP%'`,
      [fragment],
    );
    expect(rows[0]!.n).toBe(0);
    expect(await auditRows()).toBeGreaterThan(10);
  });

  it('refuses to change or remove records, to any role', async () => {
    const roles = await provisionDatabaseRoles(db.url);
    const runtime = new pg.Client({ connectionString: roles.runtimeUrls.gateway });
    await runtime.connect();
    try {
      for (const client of [admin, runtime]) {
        await client.query('begin');
        await client.query(`select set_config('app.user_id', $1, true)`, [a.userId]);
        for (const sql of ['update gateway.audit_event set outcome = $2 where subject_user_id = $1', 'delete from gateway.audit_event where subject_user_id = $1 and $2 <> \'\'']) {
          await client.query('savepoint attempt');
          expect(await sqlState(client.query(sql, [a.userId, 'OK']))).toBe('42501');
          await client.query('rollback to savepoint attempt');
        }
        await client.query('rollback');
      }
      expect(await sqlState(admin.query('truncate gateway.audit_event'))).toBe('42501');
      expect(await sqlState(runtime.query('truncate gateway.audit_event'))).toBe('42501');
    } finally {
      await runtime.end();
    }
  });

  it('records no unauthenticated call', async () => {
    const before = await auditRows();
    const anonymous = new GatewayServiceClient(`127.0.0.1:${mesh.gateway.port}`, credentials.createInsecure());
    try {
      expect((await refusal(call(anonymous, anonymous.getExtraction, { userId: '', extractionId: a.extractionId }))).code).toBe(status.UNAUTHENTICATED);
    } finally {
      anonymous.close();
    }
    expect(await auditRows()).toBe(before);
  });

  it('lists for admins only, by clinician and time, in pages bound to the caller and the filter', async () => {
    // Each listing adds its own record: compare what is not the auditor's listing.
    const notListing = (events: AuditEvent[]) => events.filter((r) => !(r.rpc === 'ListAuditEvents' && r.actorUserId !== a.userId));
    const all = await recordsOf(a.userId);
    expect(notListing(await recordsOf(a.userId, 2))).toEqual(notListing(all));

    const nonAdmin = await refusal(call(b.client, b.client.listAuditEvents, { userId: a.userId, startTime: undefined, endTime: undefined, pageSize: 0, pageToken: '' }));
    expect(nonAdmin.code).toBe(status.PERMISSION_DENIED);
    const unnamed = await refusal(call(auditor, auditor.listAuditEvents, { userId: '', startTime: undefined, endTime: undefined, pageSize: 0, pageToken: '' }));
    expect(unnamed.code).toBe(status.INVALID_ARGUMENT);

    const own = notListing(all);
    const middle = own[Math.floor(own.length / 2)]!.occurredAt!;
    const since = await call(auditor, auditor.listAuditEvents, { userId: a.userId, startTime: middle, endTime: undefined, pageSize: 500, pageToken: '' });
    expect(notListing(since.events).length).toBeGreaterThan(0);
    expect(notListing(since.events).length).toBeLessThan(own.length);
    for (const e of since.events) expect(e.occurredAt!.getTime()).toBeGreaterThanOrEqual(middle.getTime());
    const future = await call(auditor, auditor.listAuditEvents, { userId: a.userId, startTime: new Date(Date.now() + 3_600_000), endTime: undefined, pageSize: 0, pageToken: '' });
    expect(future.events).toEqual([]);

    const first = await call(auditor, auditor.listAuditEvents, { userId: a.userId, startTime: undefined, endTime: undefined, pageSize: 1, pageToken: '' });
    const otherAdmin = await mesh.clientAs(ADMINS[1]!);
    for (const [client, userId] of [
      [otherAdmin, a.userId],
      [auditor, b.userId],
    ] as const) {
      const reused = await refusal(call(client, client.listAuditEvents, { userId, startTime: undefined, endTime: undefined, pageSize: 1, pageToken: first.nextPageToken }));
      expect(reused.code).toBe(status.INVALID_ARGUMENT);
    }
    // Listing is itself audited, under the clinician whose records were read.
    expect((await recordsOf(a.userId)).some((r) => r.rpc === 'ListAuditEvents' && r.outcome === 'OK' && r.actorUserId !== a.userId)).toBe(true);
  });

  it('refuses the call when its record cannot be written (fail closed)', async () => {
    await admin.query(`alter table gateway.audit_event add constraint audit_test_refuse check (false) not valid`);
    try {
      expect((await refusal(call(a.client, a.client.getExtraction, { userId: '', extractionId: a.extractionId }))).code).toBe(status.UNAVAILABLE);
    } finally {
      await admin.query(`alter table gateway.audit_event drop constraint audit_test_refuse`);
    }
    await call(a.client, a.client.getExtraction, { userId: '', extractionId: a.extractionId });
  });

  it("keeps a clinician's records through their erasure, DeleteUser included", async () => {
    const before = await recordsOf(b.userId);
    await call(b.client, b.client.deleteUser, { userId: '' });
    const after = await recordsOf(b.userId);
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.find((r) => r.rpc === 'DeleteUser')).toMatchObject({ outcome: 'OK', resourceId: b.userId, actorUserId: b.userId });
  });
});
