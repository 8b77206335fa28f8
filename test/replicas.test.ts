// Replicas, proven: two processes each of context, embedding and extraction on their own ports,
// the gateway given both addresses of each (`ipv4:127.0.0.1:P1,127.0.0.1:P2`, round_robin in
// grpc-client.ts), internal mTLS and identity tokens as in production. Calls are counted by each
// replica's own /metrics (clinote_rpc_server_requests_total), and readiness read from its
// plaintext health-only listener, both as the orchestrator would. A bounded load through the
// gateway: every replica serves at least 30 % of its service's calls; one replica of each is
// killed and the load goes on, failing no more calls than were in flight; a replacement started
// on the dead one's port gets calls again within a bound. And two context replicas see each
// other's saves on the next call.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { connectivityState, credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDatabaseRoles } from '@clinote/shared/db-roles.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { ContextServiceClient } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { EmbeddingServiceClient } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { bearerInterceptor } from '@clinote/shared/grpc-client.js';
import { DB_POOL_CONNECTIONS, RPC_REQUESTS, sampleValue } from '@clinote/shared/metrics.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { createMeshSecrets, type MeshSecrets } from '../scripts/lib/mesh.js';
import { probeHealth } from '../scripts/lib/processes.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { ROOT, call } from './support/grpc.js';

type Internal = 'context' | 'embedding' | 'extraction';
const INTERNAL: Internal[] = ['context', 'embedding', 'extraction'];
const train = loadAciBench('train');
const valid = loadAciBench('valid');

/** The bounds of the run: calls at once, and calls per phase. */
const CONCURRENCY = 4;
const STEADY_EXTRACTIONS = 24;
const AFTER_KILL_EXTRACTIONS = 8;
/** The internal replicas' GRPC_MAX_CONNECTION_AGE_MS: short, so the recycling is seen within the run. */
const CONNECTION_AGE_MS = 2_000;
/** Long enough for an extraction in flight on an aged connection to finish. */
const CONNECTION_AGE_GRACE_MS = 5_000;
/**
 * A replacement must get calls within the connection age plus this: on a known address the peer
 * channel's backoff (at most 1 s, grpc-client.ts) reconnects first, at a new one the age's GOAWAY does.
 */
const REJOIN_SLACK_MS = 3_000;
const REJOIN_BOUND_MS = CONNECTION_AGE_MS + REJOIN_SLACK_MS;

interface Replica {
  name: string;
  port: number;
  metricsPort: number;
  healthPort: number;
  child: ChildProcess;
  exited: Promise<number | string>;
}

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let secrets: MeshSecrets;
let envOf: (name: string) => NodeJS.ProcessEnv;
const running: Replica[] = [];
const logDir = path.join(ROOT, '.data', 'logs');

/** Starts one service process; resolves once it announced its gRPC, metrics and health ports. */
function startReplica(name: string, label: string, env: NodeJS.ProcessEnv = {}): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services', name, 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...envOf(name),
      ...(name === 'gateway' ? {} : { GRPC_MAX_CONNECTION_AGE_MS: String(CONNECTION_AGE_MS), GRPC_MAX_CONNECTION_AGE_GRACE_MS: String(CONNECTION_AGE_GRACE_MS) }),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(path.join(logDir, `replicas-${label}.log`), { flags: 'w' });
  child.stderr!.pipe(log);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 1)));
  return new Promise<Replica>((resolve, reject) => {
    const ports: Record<string, number> = {};
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} did not start within 60 s (see .data/logs/replicas-${label}.log)`));
    }, 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`${line}\n`);
      try {
        const event = JSON.parse(line) as { msg?: string; port?: number };
        for (const kind of ['metrics', 'health'] as const) if (event.msg === `${name} ${kind} listening`) ports[kind] = event.port!;
        if (event.msg === `${name} listening`) {
          clearTimeout(timer);
          const replica = { name, port: event.port!, metricsPort: ports.metrics!, healthPort: ports.health!, child, exited };
          running.push(replica);
          resolve(replica);
        }
      } catch {
        // not JSON: in the log only
      }
    });
    void exited.then((status) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${status}) before listening (see .data/logs/replicas-${label}.log)`));
    });
  });
}

async function callsServed(replica: Replica): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return sampleValue(await res.text(), RPC_REQUESTS);
}

let replicas: Record<Internal, Replica[]>;
let gateway: Replica;
let client: GatewayServiceClient;
let sopId: string;

/** One extraction through the gateway with a key of its own: OK, or the status name it failed with. */
async function extractOnce(i: number): Promise<'OK' | string> {
  try {
    await call(client, client.extract, { userId: '', transcript: valid[i % valid.length]!.src, sopIds: [sopId], idempotencyKey: randomUUID(), referenceNote: '' });
    return 'OK';
  } catch (err: unknown) {
    return String((err as { code?: number }).code ?? (err as Error).message);
  }
}

/** `count` extractions, CONCURRENCY at a time; `during(done)` runs alongside, after `at` of them ended. */
async function load(count: number, options: { at?: number; during?: () => Promise<void> } = {}) {
  const outcomes: string[] = [];
  let next = 0;
  let inFlight = 0;
  let inFlightAtEvent = 0;
  let event: Promise<void> | undefined;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      inFlight++;
      outcomes.push(await extractOnce(i));
      inFlight--;
      if (options.during && !event && outcomes.length >= (options.at ?? 0)) {
        inFlightAtEvent = inFlight;
        event = options.during();
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await event;
  return { ok: outcomes.filter((o) => o === 'OK').length, failed: outcomes.filter((o) => o !== 'OK'), inFlightAtEvent };
}

async function sharesOf(set: Record<Internal, Replica[]>, before?: Map<Replica, number>) {
  const shares: Record<string, number[]> = {};
  const counts = new Map<Replica, number>();
  for (const name of INTERNAL) {
    const served = await Promise.all(set[name].map(async (r) => (await callsServed(r)) - (before?.get(r) ?? 0)));
    set[name].forEach((r, i) => counts.set(r, served[i]!));
    const total = served.reduce((a, b) => a + b, 0);
    shares[name] = served.map((s) => (total === 0 ? 0 : s / total));
  }
  return { shares, counts };
}

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_replicas');
  const roles = await provisionDatabaseRoles(db.url);
  secrets = await createMeshSecrets();
  envOf = (name) => ({
    ...roles.envFor(name as 'gateway'),
    ...secrets.envFor(name as 'gateway'),
    LOG_LEVEL: 'warn',
    GRPC_ADDRESS: '127.0.0.1:0',
    METRICS_PORT: '0',
    HEALTH_PORT: '0',
    OPS_HOST: '127.0.0.1',
    REDIS_URL: '',
    DB_POOL_MIN: '0',
    DB_POOL_MAX: '5',
    CPU_WORKERS: '1',
    EXTRACTION_WORKERS: '1',
  });
  const started = await Promise.all(INTERNAL.flatMap((name) => [0, 1].map((i) => startReplica(name, `${name}-${i}`))));
  replicas = { context: started.slice(0, 2), embedding: started.slice(2, 4), extraction: started.slice(4, 6) };
  const list = (name: Internal) => `ipv4:${replicas[name].map((r) => `127.0.0.1:${r.port}`).join(',')}`;
  gateway = await startReplica('gateway', 'gateway', { CONTEXT_ADDR: list('context'), EMBEDDING_ADDR: list('embedding'), EXTRACTION_ADDR: list('extraction') });
  // Each answers SERVING on its health-only listener, in plaintext, as the kubelet's gRPC probe asks.
  for (const r of running) expect(await probeHealth(`127.0.0.1:${r.healthPort}`, credentials.createInsecure()), r.name).toBe('SERVING');

  const token = await secrets.tokenFor(`replicas-${randomUUID()}`);
  client = new GatewayServiceClient(`127.0.0.1:${gateway.port}`, credentials.createInsecure(), { interceptors: [bearerInterceptor(token)] });
  await call(client, client.createUser, { email: 'replicas@test.example', displayName: 'replicas' });
  sopId = (await call(client, client.createSop, { userId: '', name: 'SOAP note', sections: SOAP_NOTE_SECTIONS })).sop!.id;
  await call(client, client.importEncounters, {
    userId: '',
    encounters: train.slice(0, 8).map((e) => ({ transcript: e.src, note: e.tgt, externalId: e.file, qualityScore: undefined })),
  });
}, 120_000);

afterAll(async () => {
  client?.close();
  for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await Promise.all(running.map((r) => r.exited));
  await db?.drop();
  if (secrets) rmSync(secrets.dir, { recursive: true, force: true });
}, 60_000);

describe('two replicas of each internal service behind one gateway', () => {
  it('spreads the calls: every replica serves at least 30 % of its service\'s calls', async () => {
    const before = new Map<Replica, number>();
    for (const r of Object.values(replicas).flat()) before.set(r, await callsServed(r));
    const { ok, failed } = await load(STEADY_EXTRACTIONS);
    expect(failed).toEqual([]);
    expect(ok).toBe(STEADY_EXTRACTIONS);
    const { shares, counts } = await sharesOf(replicas, before);
    process.stdout.write(`replica call shares (steady, ${STEADY_EXTRACTIONS} extractions): ${JSON.stringify(shares)} counts ${JSON.stringify([...counts.values()])}\n`);
    // Each replica reports its own database pool (DB_POOL_MAX=5 here).
    const exposition = await (await fetch(`http://127.0.0.1:${replicas.context[0]!.metricsPort}/metrics`)).text();
    expect(sampleValue(exposition, DB_POOL_CONNECTIONS, { pool: 'context', state: 'max' })).toBe(5);
    for (const name of INTERNAL) {
      expect([...counts].filter(([r]) => r.name === name).reduce((a, [, n]) => a + n, 0), name).toBeGreaterThanOrEqual(STEADY_EXTRACTIONS);
      for (const share of shares[name]!) expect(share, name).toBeGreaterThanOrEqual(0.3);
    }
  }, 60_000);

  it('goes on when one replica of each dies, failing no more calls than were in flight, and takes a replacement back', async () => {
    const victims = INTERNAL.map((name) => replicas[name][1]!);
    const kill = async () => {
      for (const v of victims) v.child.kill('SIGKILL');
      await Promise.all(victims.map((v) => v.exited));
    };
    const killed = await load(AFTER_KILL_EXTRACTIONS + CONCURRENCY, { at: CONCURRENCY, during: kill });
    process.stdout.write(`after kill: ${killed.ok} OK, failed ${JSON.stringify(killed.failed)}, in flight at the kill ${killed.inFlightAtEvent}\n`);
    expect(killed.failed.length).toBeLessThanOrEqual(killed.inFlightAtEvent);
    for (const code of killed.failed) expect(['14', '4'], `status ${code}`).toContain(code);
    // And from then on, nothing fails: the survivors carry everything.
    const after = await load(AFTER_KILL_EXTRACTIONS);
    expect(after.failed).toEqual([]);

    // Replacements on the dead replicas' addresses: the gateway's channels reconnect to them.
    const replacements = await Promise.all(victims.map((v) => startReplica(v.name, `${v.name}-replacement`, { GRPC_ADDRESS: `127.0.0.1:${v.port}` })));
    // From the moment all three listen.
    const started = Date.now();
    const served = new Map<Replica, number>(replacements.map((r) => [r, 0]));
    let rounds = 0;
    while ([...served.values()].some((n) => n === 0) && Date.now() - started < REJOIN_BOUND_MS) {
      const round = await load(CONCURRENCY);
      expect(round.failed).toEqual([]);
      rounds++;
      for (const r of replacements) served.set(r, await callsServed(r));
    }
    const rejoinMs = Date.now() - started;
    process.stdout.write(`replacements serving after ${rejoinMs} ms (${rounds} rounds): ${JSON.stringify(Object.fromEntries(replacements.map((r) => [r.name, served.get(r)])))}\n`);
    for (const r of replacements) expect(served.get(r), r.name).toBeGreaterThan(0);
    expect(rejoinMs).toBeLessThan(REJOIN_BOUND_MS);
  }, 90_000);

  it('recycles a surviving replica\'s connections at GRPC_MAX_CONNECTION_AGE_MS (GOAWAY), and the load through the gateway does not notice', async () => {
    const survivor = replicas.embedding[0]!;
    const embedder = secrets.internalClient(EmbeddingServiceClient, survivor.port, randomUUID());
    try {
      const channel = embedder.getChannel();
      await call(embedder, embedder.embedBatch, { texts: ['connection age'] });
      const connected = Date.now();
      expect(channel.getConnectivityState(false)).toBe(connectivityState.READY);
      // The server's GOAWAY at the age (grpc-js adds up to 10 % jitter) takes the channel out of READY.
      const left = await new Promise<number>((resolve, reject) =>
        channel.watchConnectivityState(connectivityState.READY, connected + CONNECTION_AGE_MS * 1.1 + CONNECTION_AGE_GRACE_MS + 2_000, (err) =>
          err ? reject(err) : resolve(Date.now() - connected),
        ),
      );
      process.stdout.write(`survivor's connection left READY ${left} ms after it was used (age ${CONNECTION_AGE_MS} ms)\n`);
      expect(left).toBeGreaterThanOrEqual(CONNECTION_AGE_MS * 0.9 - 100);
      // The next call reconnects.
      await call(embedder, embedder.embedBatch, { texts: ['connection age, again'] });
    } finally {
      embedder.close();
    }
    // Load through the gateway spanning several ages: every connection is recycled under it, no call fails.
    const spanStart = Date.now();
    let outcomes = { ok: 0, failed: [] as string[] };
    while (Date.now() - spanStart < CONNECTION_AGE_MS * 3) {
      const round = await load(CONCURRENCY);
      outcomes = { ok: outcomes.ok + round.ok, failed: [...outcomes.failed, ...round.failed] };
    }
    process.stdout.write(`load across ${Date.now() - spanStart} ms of connection ages: ${outcomes.ok} OK, failed ${JSON.stringify(outcomes.failed)}\n`);
    expect(outcomes.failed).toEqual([]);
  }, 60_000);
});

describe('two context replicas', () => {
  it('see each other\'s saves: saved through one, selectable from the other on the next call', async () => {
    const [a, b] = [replicas.context[0]!, running.filter((r) => r.name === 'context').at(-1)!];
    expect(a.port).not.toBe(b.port);
    // A clinician of its own, with no past encounters yet.
    const own = new GatewayServiceClient(`127.0.0.1:${gateway.port}`, credentials.createInsecure(), {
      interceptors: [bearerInterceptor(await secrets.tokenFor(`replicas-saves-${randomUUID()}`))],
    });
    const userId = (await call(own, own.createUser, { email: 'saves@test.example', displayName: 'saves' })).user!.id;
    const ownSop = (await call(own, own.createSop, { userId: '', name: 'SOAP note', sections: SOAP_NOTE_SECTIONS })).sop!.id;
    own.close();
    const contextA = secrets.internalClient(ContextServiceClient, a.port, userId);
    const contextB = secrets.internalClient(ContextServiceClient, b.port, userId);
    const embedder = secrets.internalClient(EmbeddingServiceClient, replicas.embedding[0]!.port, userId);
    try {
      const transcript = valid[5]!.src;
      const embedded = await call(embedder, embedder.embedBatch, { texts: [transcript] });
      const select = (c: ContextServiceClient) =>
        call(c, c.selectContext, {
          userId: '',
          transcript,
          transcriptEmbedding: embedded.embeddings[0]!.values,
          sopIds: [ownSop],
          model: 'gpt-4o',
          contextWindow: 0,
          reservedOutputTokens: 0,
          embeddingModel: embedded.model,
        });
      // B's pool is warm before the save, so what it sees next is what it learnt of A's save.
      const before = await select(contextB);
      const saved = await call(contextA, contextA.saveEncounter, {
        userId: '',
        idempotencyKey: '',
        embedding: embedded.embeddings[0]!.values,
        embeddingModel: embedded.model,
        transcriptFeatures: undefined,
        encounter: {
          id: '', userId: '', transcript, note: 'Assessment: stable.', results: [], evaluations: [], overall: undefined,
          context: [], contextStopReason: 0, phaseTimings: [], traceId: '', usage: [], createdAt: undefined, qualityScore: 0.9,
        },
      });
      const next = await select(contextB);
      expect(before.candidatesConsidered).toBe(0);
      expect(next.candidatesConsidered).toBe(1);
      // The same transcript: the encounter saved on A is B's best match.
      expect(next.choices.map((c) => c.encounterId)).toContain(saved.encounter!.id);
    } finally {
      for (const c of [contextA, contextB, embedder]) c.close();
    }
  }, 30_000);
});
