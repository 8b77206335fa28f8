// Issue 13: every public RPC of the gateway takes FUZZ_RUNS generated requests (valid-shaped ones at
// every bound, schema-driven ones, wire-level damage, random bytes), with a token or without. None
// may answer UNKNOWN or INTERNAL, none may take 2 s, the services stay SERVING, and no row changes
// that an OK'd request does not account for. CI runs FUZZ_RUNS=300 (the default) with a fixed seed;
// `pnpm fuzz` 10,000 with a new one (printed; FUZZ_SEED replays it).
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { GatewayServiceService } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { requestCases, type Family, type FuzzCase, type FuzzIds } from './support/fuzz-arbitraries.js';
import { call, healthStatus } from './support/grpc.js';
import { readContract } from './support/protobuf-wire.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
// CI replays one fixed set of cases (a red build is a regression, not a new draw); elsewhere each run draws anew.
const SEED = Number(process.env.FUZZ_SEED ?? (process.env.CI ? 20_261_213 : Math.floor(Math.random() * 2 ** 31)));
const DEADLINE_MS = 5_000;
const ANSWER_BOUND_MS = 2_000;
/** UNAVAILABLE too: the mesh is up throughout, so it would be a bad request misreported as an outage (and retried). */
/** Where each anomalous request's bytes are written, to replay it. */
const ARTIFACTS = process.env.FUZZ_ARTIFACTS ?? path.join(tmpdir(), 'clinote-fuzz');
const FORBIDDEN = new Set([status.UNKNOWN, status.INTERNAL, status.DEADLINE_EXCEEDED, status.UNAVAILABLE]);

interface Method {
  name: string;
  path: string;
  requestDeserialize(bytes: Buffer): unknown;
  responseDeserialize(bytes: Buffer): unknown;
  /** Server streaming (ExtractStream): read to its end; its last message is the answer. */
  responseStream: boolean;
}
const METHODS = (Object.values(GatewayServiceService) as unknown as Method[]).map((m) => ({ ...m, name: m.path.split('/').pop()! }));

/** Each RPC is fuzzed as a clinician of its own, so every row change can be laid at one RPC's door. */
const subjectOf = (method: string) => `fuzz-${method.toLowerCase()}`;
/** RPCs that refuse non-admins outright (and only read): fuzzed as an admin, to reach their handlers. */
const ADMIN_METHODS = new Set(['ListAuditEvents']);
/** Whose data every other RPC's clinician names: it must come through the whole run unchanged. */
const VICTIM = 'fuzz-victim';
/** Profile writes are 30 a minute per clinician (authenticator.ts): CreateUser rotates over enough of them. */
const PROFILE_SUBJECTS = Array.from({ length: Math.max(1, Math.ceil(RUNS / 20)) }, (_, i) => `fuzz-createuser-${i}`);
const subjectsOf = (method: string) => (method === 'CreateUser' ? PROFILE_SUBJECTS : [subjectOf(method)]);

const contract = readContract('gateway');
let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let admin: pg.Client;
const fixtures = new Map<string, FuzzIds>();

// ---- fixtures: what each clinician owns before its RPC is fuzzed ----------------------------------

const TRANSCRIPT = 'Doctor: What brings you in?\nPatient: A cough for three days, no fever.\nDoctor: Heart rate 88. Rest and fluids.';

async function ownedBy(subject: string): Promise<Omit<FuzzIds, 'other' | 'otherSops' | 'otherEncounters'>> {
  const client = await mesh.clientAs(subject);
  const { user } = await call(client, client.getUser, { userId: '' });
  const sops = [];
  for (const name of ['SOAP', 'SOAP copy']) sops.push((await call(client, client.createSop, { userId: '', name, sections: SOAP_NOTE_SECTIONS })).sop!.id);
  const imported = await call(client, client.importEncounters, {
    userId: '',
    encounters: [1, 2, 3].map((i) => ({ transcript: `${TRANSCRIPT} (${i})`, note: 'Plan: rest.', qualityScore: undefined, externalId: `fixture-${i}` })),
  });
  const extractions = [];
  for (const i of [1, 2]) {
    const { extraction } = await call(client, client.extract, { userId: '', transcript: `${TRANSCRIPT} [${i}]`, sopIds: [sops[0]!], idempotencyKey: '', referenceNote: '' });
    extractions.push(extraction!.id);
  }
  const page = await call(client, client.listExtractions, { userId: '', pageSize: 1, pageToken: '' });
  return { self: user!.id, sops, encounters: imported.encounterIds, extractions, pageTokens: [page.nextPageToken] };
}

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_fuzz');
  mesh = await startMesh({
    databaseUrl: db.url,
    redisUrl: '',
    env: {
      // The write and provisioning limits would answer most cases RESOURCE_EXHAUSTED: lifted here.
      WRITE_RATE_BURST: '100000000',
      WRITE_RATE_PER_SECOND: '100000000',
      PROVISION_RATE_PER_MINUTE: '100000000',
      // One gateway: an erasure need not wait for other replicas to stop trusting a clinician's state
      // (each DeleteUser would wait USER_STATE_TTL_MS; erasure.test.ts runs with the default).
      USER_STATE_TTL_MS: '20',
      AUTH_ADMIN_SUBJECTS: [...ADMIN_METHODS].map(subjectOf).join(','),
    },
  });
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  const victim = await ownedBy(VICTIM);
  const other = { other: victim.self, otherSops: victim.sops, otherEncounters: [...victim.encounters, ...victim.extractions] };
  for (const m of METHODS) {
    if (m.name === 'CreateUser') {
      // Provisioned before the run, so the run's first call of each is not what creates the user row.
      for (const s of PROFILE_SUBJECTS) {
        const c = await mesh.clientAs(s);
        await call(c, c.getUser, { userId: '' });
      }
      fixtures.set(m.name, { self: '', sops: [], encounters: [], extractions: [], pageTokens: [...victim.pageTokens], ...other });
    } else {
      const own = await ownedBy(subjectOf(m.name));
      fixtures.set(m.name, { ...own, ...other, pageTokens: [...own.pageTokens, ...victim.pageTokens] });
    }
  }
}, 600_000);

afterAll(async () => {
  report();
  await admin?.end();
  await mesh?.stop();
  await db?.drop();
});

// ---- sending ---------------------------------------------------------------------------------------

interface Answer {
  code: status;
  details: string;
  ms: number;
  response?: Buffer;
}

function send(client: Client, method: Method, bytes: Uint8Array, authorization: string | undefined): Promise<Answer> {
  const metadata = new Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const started = performance.now();
  const options = { deadline: Date.now() + DEADLINE_MS };
  return new Promise((resolve) => {
    if (!method.responseStream) {
      client.makeUnaryRequest(method.path, (x: Buffer) => x, (x: Buffer) => x, body, metadata, options, (err, response) => {
        resolve({ code: err ? err.code : status.OK, details: err?.details ?? '', ms: performance.now() - started, response });
      });
      return;
    }
    let last: Buffer | undefined;
    const stream = client.makeServerStreamRequest(method.path, (x: Buffer) => x, (x: Buffer) => x, body, metadata, options);
    stream.on('data', (message: Buffer) => (last = message));
    stream.on('error', () => undefined); // the status below says it
    stream.on('status', (s: { code: status; details: string }) => {
      resolve({ code: s.code, details: s.code === status.OK ? '' : s.details, ms: performance.now() - started, response: last });
    });
  });
}

/** Mostly the RPC's clinician's token; sometimes none or a broken one (UNAUTHENTICATED before anything else). */
const authorization = fc.oneof(
  { weight: 18, arbitrary: fc.constant('token') },
  { weight: 1, arbitrary: fc.constant('none') },
  { weight: 1, arbitrary: fc.constantFrom('Bearer ', 'Bearer not.a.jwt', 'Basic YTpi', 'Bearer eyJhbGciOiJub25lIn0.e30.') },
);

// ---- what was seen -----------------------------------------------------------------------------------

interface Tally {
  codes: Map<string, number>;
  latencies: number[];
}
const byMethod = new Map<string, Tally>();
const byFamily = new Map<Family, Map<string, number>>();
const timings = new Map<string, number>();

interface Anomaly {
  method: string;
  family: Family;
  auth: string;
  code: string;
  ms: number;
  details: string;
  bytes: number;
  /** The request's bytes, written for replay. */
  file: string;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function report(): void {
  const codes = [...new Set([...byMethod.values()].flatMap((t) => [...t.codes.keys()]))].sort((a, b) => (status[a as keyof typeof status] as number) - (status[b as keyof typeof status] as number));
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const header = `${'method'.padEnd(18)}${codes.map((c) => pad(c, Math.max(c.length, 6) + 1)).join('')}${pad('total', 8)}${pad('p99 ms', 8)}${pad('max ms', 8)}${pad('run s', 7)}`;
  const lines = [`fuzz: ${RUNS} runs per method, seed ${SEED}`, header];
  for (const [method, t] of byMethod) {
    const sorted = [...t.latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
    lines.push(
      `${method.padEnd(18)}${codes.map((c) => pad(t.codes.get(c) ?? '', Math.max(c.length, 6) + 1)).join('')}${pad(sorted.length, 8)}${pad(p99.toFixed(0), 8)}${pad((sorted.at(-1) ?? 0).toFixed(0), 8)}${pad(((timings.get(method) ?? 0) / 1000).toFixed(1), 7)}`,
    );
  }
  lines.push('', `${'family'.padEnd(18)}${codes.map((c) => pad(c, Math.max(c.length, 6) + 1)).join('')}`);
  for (const [family, m] of [...byFamily].sort()) lines.push(`${family.padEnd(18)}${codes.map((c) => pad(m.get(c) ?? '', Math.max(c.length, 6) + 1)).join('')}`);
  console.log(lines.join('\n'));
}

// ---- rows: a snapshot of every record table, as the superuser (row-level security does not apply) ---

/** Every table that holds a clinician's records, its row key and whose row it is. Audit records are written for refused calls by design: not here. */
const TABLES = [
  { table: 'gateway.app_user', key: 't.id', owner: 't.id' },
  { table: 'context.sop', key: 't.id', owner: 't.user_id' },
  { table: 'context.sop_version', key: "t.sop_id || '/' || t.version", owner: '(select s.user_id from context.sop s where s.id = t.sop_id)' },
  { table: 'context.encounter', key: 't.id', owner: 't.user_id' },
  { table: 'context.encounter_embedding', key: 't.encounter_id', owner: '(select e.user_id from context.encounter e where e.id = t.encounter_id)' },
  { table: 'extraction.llm_usage', key: 't.id', owner: 't.user_id' },
  { table: 'embedding.embedding_cache_entry', key: 't.key', owner: 't.user_id' },
] as const;
type Table = (typeof TABLES)[number]['table'];
type Snapshot = Map<Table, Map<string, { owner: string; hash: string }>>;

async function snapshot(): Promise<Snapshot> {
  const snap: Snapshot = new Map();
  for (const { table, key, owner } of TABLES) {
    const { rows } = await admin.query<{ key: string; owner: string; hash: string }>(`select ${key}::text as key, ${owner}::text as owner, md5(t::text) as hash from ${table} t`);
    snap.set(table, new Map(rows.map((r) => [r.key, { owner: r.owner, hash: r.hash }])));
  }
  return snap;
}

interface Change {
  table: Table;
  key: string;
  owner: string;
  kind: 'added' | 'removed' | 'changed';
}

function changes(before: Snapshot, after: Snapshot): Change[] {
  const out: Change[] = [];
  for (const { table } of TABLES) {
    const a = before.get(table)!;
    const b = after.get(table)!;
    for (const [key, row] of b) {
      const was = a.get(key);
      if (!was) out.push({ table, key, owner: row.owner, kind: 'added' });
      else if (was.hash !== row.hash) out.push({ table, key, owner: row.owner, kind: 'changed' });
    }
    for (const [key, row] of a) if (!b.has(key)) out.push({ table, key, owner: row.owner, kind: 'removed' });
  }
  return out;
}

async function userIdsOf(subjects: string[]): Promise<Set<string>> {
  const { rows } = await admin.query<{ id: string }>('select id::text from gateway.app_user where subject = any($1)', [subjects]);
  return new Set(rows.map((r) => r.id));
}

/** An OK'd call: the ids of what the server decoded and what it answered (the rules below need no more). */
interface Ok {
  subject: string;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
}

/** Only the fields the accounting reads: a long run keeps thousands of answers, some of them whole SOPs. */
function okOf(subject: string, request: Record<string, unknown>, response: Record<string, unknown>): Ok {
  const sop = response.sop as { id: string; version: number } | undefined;
  const user = response.user as { id: string; email: string; displayName: string } | undefined;
  const extraction = response.extraction as { id: string } | undefined;
  return {
    subject,
    request: { encounterId: request.encounterId, extractionId: request.extractionId },
    response: {
      sop: sop && { id: sop.id, version: sop.version },
      user: user && { id: user.id, email: user.email, displayName: user.displayName },
      extraction: extraction && { id: extraction.id },
      encounterIds: response.encounterIds,
      replayed: response.replayed,
    },
  };
}

type Expectation = Partial<Record<Change['kind'], Partial<Record<Table, Set<string>>>>> & {
  /** Tables where the OK'd calls explain any change of the clinician's own rows (erasure; the embedding cache). */
  free?: Table[];
  /** Kinds × tables whose keys must be exactly the set given, not just within it. */
  exact?: `${Change['kind']}:${Table}`[];
};

const ids = (values: unknown[]) => new Set(values.map((v) => String(v).toLowerCase()));
const sopOf = (ok: Ok) => ok.response.sop as { id: string; version: number };

/** Which of the clinician's own rows the OK'd calls of each RPC may have added, changed or removed. */
function expectationOf(method: string, oks: Ok[]): Expectation {
  switch (method) {
    case 'CreateUser':
      return { changed: { 'gateway.app_user': ids(oks.map((o) => (o.response.user as { id: string }).id)) } };
    case 'CreateSop':
      return {
        added: { 'context.sop': ids(oks.map((o) => sopOf(o).id)), 'context.sop_version': ids(oks.map((o) => `${sopOf(o).id}/1`)) },
        exact: ['added:context.sop', 'added:context.sop_version'],
      };
    case 'UpdateSop':
      return {
        changed: { 'context.sop': ids(oks.map((o) => sopOf(o).id)) },
        added: { 'context.sop_version': ids(oks.map((o) => `${sopOf(o).id}/${sopOf(o).version}`)) },
        exact: ['added:context.sop_version'],
      };
    case 'DeactivateSop':
      return { changed: { 'context.sop': ids(oks.map((o) => sopOf(o).id)) } };
    case 'ImportEncounters': {
      const imported = ids(oks.flatMap((o) => o.response.encounterIds as string[]));
      return {
        added: { 'context.encounter': imported, 'context.encounter_embedding': imported },
        exact: ['added:context.encounter', 'added:context.encounter_embedding'],
        free: ['embedding.embedding_cache_entry'],
      };
    }
    case 'Extract':
    case 'ExtractStream': {
      // ExtractStream is read to its end: an OK stream saved (or replayed) what its last message says.
      const created = ids(oks.filter((o) => !o.response.replayed).map((o) => (o.response.extraction as { id: string }).id));
      return {
        added: { 'context.encounter': created, 'context.encounter_embedding': created },
        exact: ['added:context.encounter'],
        free: ['embedding.embedding_cache_entry', 'extraction.llm_usage'],
      };
    }
    case 'DeleteEncounter':
    case 'DeleteExtraction': {
      const named = ids(oks.map((o) => o.request.encounterId ?? o.request.extractionId));
      return { removed: { 'context.encounter': named, 'context.encounter_embedding': named }, exact: ['removed:context.encounter'] };
    }
    case 'DeleteUser':
      // An erasure removes everything of the clinician; their next call provisions them anew.
      return oks.length > 0 ? { free: TABLES.map((t) => t.table) } : {};
    default:
      // Reads, and RPCs this file has no rule for: no row may change.
      return {};
  }
}

/** Every change the OK'd calls do not account for, as readable lines. */
function unexplained(method: string, all: Change[], own: Set<string>, oks: Ok[]): string[] {
  const expected = expectationOf(method, oks);
  const problems: string[] = [];
  for (const c of all) {
    if (!own.has(c.owner)) {
      problems.push(`${c.kind} ${c.table} ${c.key} of another clinician (${c.owner})`);
      continue;
    }
    if (expected.free?.includes(c.table)) continue;
    if (!expected[c.kind]?.[c.table]?.has(c.key.toLowerCase())) problems.push(`${c.kind} ${c.table} ${c.key}: no OK'd ${method} accounts for it`);
  }
  for (const rule of expected.exact ?? []) {
    const [kind, table] = rule.split(':') as [Change['kind'], Table];
    const seen = new Set(all.filter((c) => c.kind === kind && c.table === table).map((c) => c.key.toLowerCase()));
    for (const key of expected[kind]?.[table] ?? []) if (!seen.has(key)) problems.push(`an OK'd ${method} answered ${key}, but no row of ${table} was ${kind}`);
  }
  return problems;
}

// ---- the runs ------------------------------------------------------------------------------------

const ROW_TABLE_SUMMARY = (all: Change[]) => {
  const m = new Map<string, number>();
  for (const c of all) count(m, `${c.kind} ${c.table}`);
  return Object.fromEntries(m);
};

for (const [index, method] of METHODS.entries()) {
  it(`${method.name}: ${RUNS} generated requests, none UNKNOWN, INTERNAL or slow, no row changed but by an OK`, async () => {
    const started = performance.now();
    const subjects = subjectsOf(method.name);
    const tokens = await Promise.all(subjects.map((s) => mesh.secrets.tokenFor(s)));
    const client = new Client(`127.0.0.1:${mesh.gateway.port}`, credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
    const tally: Tally = { codes: new Map(), latencies: [] };
    byMethod.set(method.name, tally);
    const anomalies: Anomaly[] = [];
    const oks: Ok[] = [];
    const own = await userIdsOf(subjects);
    const before = await snapshot();
    let n = 0;
    try {
      await fc.check(
        fc.asyncProperty(fc.record({ auth: authorization, fuzz: requestCases(contract, method.path, fixtures.get(method.name)!) }), async ({ auth, fuzz }: { auth: string; fuzz: FuzzCase }) => {
          const k = n++ % subjects.length;
          const header = auth === 'token' ? `Bearer ${tokens[k]}` : auth === 'none' ? undefined : auth;
          const answer = await send(client, method, fuzz.bytes, header);
          const code = status[answer.code] ?? String(answer.code);
          count(tally.codes, code);
          tally.latencies.push(answer.ms);
          if (!byFamily.has(fuzz.family)) byFamily.set(fuzz.family, new Map());
          count(byFamily.get(fuzz.family)!, code);
          if (FORBIDDEN.has(answer.code) || answer.ms >= ANSWER_BOUND_MS) {
            mkdirSync(ARTIFACTS, { recursive: true });
            const file = path.join(ARTIFACTS, `${method.name}-${SEED + index}-${n}.bin`);
            writeFileSync(file, fuzz.bytes);
            anomalies.push({ method: method.name, family: fuzz.family, auth, code, ms: Math.round(answer.ms), details: answer.details, bytes: fuzz.bytes.length, file });
          }
          if (answer.code === status.OK) {
            const body = Buffer.from(fuzz.bytes.buffer, fuzz.bytes.byteOffset, fuzz.bytes.byteLength);
            const decoded = method.responseDeserialize(answer.response!) as Record<string, unknown>;
            // A stream's last message carries the answer (ExtractStream: the saved extraction).
            const response = method.responseStream ? ((decoded.saved ?? {}) as Record<string, unknown>) : decoded;
            oks.push(okOf(subjects[k]!, method.requestDeserialize(body) as Record<string, unknown>, response));
            const accepted = undeclaredFieldTypes(response);
            if (accepted.length > 0) {
              anomalies.push({ method: method.name, family: fuzz.family, auth, code, ms: Math.round(answer.ms), details: `OK'd a SOP with field types ${accepted.join(', ')}`, bytes: fuzz.bytes.length, file: '' });
            }
          }
          return true;
        }),
        { numRuns: RUNS, seed: SEED + index, endOnFailure: true },
      );
    } finally {
      client.close();
      timings.set(method.name, performance.now() - started);
    }
    const after = await snapshot();
    for (const id of await userIdsOf(subjects)) own.add(id);
    const all = changes(before, after);
    const problems = unexplained(method.name, all, own, oks);
    if (method.name === 'CreateUser') problems.push(...(await profilesFollowLastOk(oks)));
    console.log(`${method.name}: ${oks.length} OK; rows ${JSON.stringify(ROW_TABLE_SUMMARY(all))}`);
    expect(anomalies.slice(0, 20), `seed ${SEED + index}: ${anomalies.length} answers UNKNOWN/INTERNAL/DEADLINE_EXCEEDED/UNAVAILABLE, ≥ ${ANSWER_BOUND_MS} ms, or OK for an invalid SOP`).toEqual([]);
    expect(problems.slice(0, 20), `seed ${SEED + index}: row changes no OK'd call accounts for`).toEqual([]);
  }, RUNS * 150 + 120_000);
}

/** Field types of an answered SOP that the contract does not declare: an OK'd request must not have stored one. */
function undeclaredFieldTypes(response: Record<string, unknown>): number[] {
  const sop = response.sop as { sections: { fields: { type: number }[] }[] } | undefined;
  const declared = new Set(contract.enums.get('clinote.common.v1.FieldType')!.filter((n) => n !== 0));
  return [...new Set(sop?.sections.flatMap((s) => s.fields.map((f) => f.type)).filter((t) => !declared.has(t)) ?? [])];
}

/** Each clinician's stored profile is the one their last OK'd CreateUser answered (refused ones wrote nothing). */
async function profilesFollowLastOk(oks: Ok[]): Promise<string[]> {
  const last = new Map<string, { email: string; displayName: string }>();
  for (const ok of oks) last.set(ok.subject, ok.response.user as { email: string; displayName: string });
  const { rows } = await admin.query<{ subject: string; email: string | null; display_name: string | null }>(
    'select subject, email, display_name from gateway.app_user where subject = any($1)',
    [PROFILE_SUBJECTS],
  );
  const problems: string[] = [];
  for (const row of rows) {
    const want = last.get(row.subject);
    const stored = { email: row.email ?? '', displayName: row.display_name ?? '' };
    if (want ? stored.email !== want.email || stored.displayName !== want.displayName : stored.email !== '' || stored.displayName !== '') {
      problems.push(`${row.subject}: stored ${JSON.stringify(stored)}, last OK answered ${JSON.stringify(want ?? null)}`);
    }
  }
  return problems;
}

it('leaves every service SERVING', async () => {
  expect(await healthStatus(mesh.gateway.port)).toBe('SERVING');
  for (const svc of [mesh.context, mesh.embedding, mesh.extraction]) expect(await healthStatus(svc.port, '', mesh.secrets.channelCredentials())).toBe('SERVING');
});
