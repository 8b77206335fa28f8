// `pnpm bench load`: sustained Extract load through the gateway of the four services as processes
// (dev-mode auth, internal mTLS, one database role per service, as `pnpm serve` runs them), loopback
// only. Per scenario (offline default; the instant OpenAI-compatible server; the same with a 1 s
// delay at N = 256) and per history (100 and 10,000 past encounters of the clinician, seeded through
// ImportEncounters): a warm-up, then N = 1, 16, 64 in flight over several HTTP/2 connections, each run
// bounded in count and time, three repetitions interleaved with a calibration (a trivial gateway and
// two peers of the same hop shape and payload size, scripts/lib/calibration-mesh.ts) measured at the
// same N. Reports req/s, p50/p90/p99, CPU per request of every process (Postgres included, from
// /proc), RSS, and the repetitions' spread; writes its section of BENCHMARKS.md.
//   pnpm bench load [--quick] [--soak SECONDS] [--no-write]
// Numbers are printed and recorded, never asserted. Postgres is the shared server: its CPU counts
// every backend, other clients' included.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { provisionDatabaseRoles } from '@clinote/shared/db-roles.js';
import { loadAciBench, loadMtsDialog } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { bearerInterceptor, clientCaller } from '@clinote/shared/grpc-client.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { CalibrationClientCtor, callOnce, type CalibrationClient } from './lib/calibration-mesh.js';
import { resolveInfra, type Infra } from './lib/infra.js';
import { ServiceGroup, startServices, type RunningServices } from './lib/processes.js';
import { SERVICE_NAMES, prepareLocalSecrets, type LocalSecrets, type ServiceName } from './lib/secrets.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line = '') => process.stdout.write(`${line}\n`);
const CLK_TCK = 100;
const IMPORT_BATCH = 500;
const SECTION = '## Load (pnpm bench load)';

// ---------------------------------------------------------------- measurement helpers (pure)

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}
export function spread(values: readonly number[]): Spread {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return { median: quantile(s, 0.5), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

/** utime + stime of a process in clock ticks, from /proc/<pid>/stat (the fields after the parenthesised name). */
export function parseProcStatTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function cpuTicks(pid: number): number | undefined {
  try {
    return parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function postgresPids(): number[] {
  try {
    return execFileSync('pgrep', ['-u', 'postgres'], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

type Processes = Record<string, () => number[]>;
type CpuSnapshot = Map<string, Map<number, number>>;

function snapshot(processes: Processes): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  for (const [name, pids] of Object.entries(processes)) {
    const m = new Map<number, number>();
    for (const pid of pids()) {
      const t = cpuTicks(pid);
      if (t !== undefined) m.set(pid, t);
    }
    out.set(name, m);
  }
  return out;
}

/** CPU ms spent per process group between two snapshots (a pid new in the second counts from zero). */
export function cpuMsBetween(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, pids] of after) {
    let ticks = 0;
    for (const [pid, t] of pids) ticks += t - (before.get(name)?.get(pid) ?? 0);
    out.set(name, (ticks * 1000) / CLK_TCK);
  }
  return out;
}

// ---------------------------------------------------------------- processes

interface Listener {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

function spawnListener(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Listener> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not report listening`)), 30_000);
    void exited.then(() => reject(new Error(`${script} exited before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const { port } = JSON.parse(line) as { port?: number };
        if (typeof port !== 'number') return;
        clearTimeout(timer);
        resolve({
          child,
          port,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await exited;
            clearTimeout(force);
          },
        });
      } catch {
        // not our line
      }
    });
  });
}

interface Calibration {
  pids: Record<string, number[]>;
  clients: CalibrationClient[];
  stop(): Promise<void>;
}

async function startCalibration(secrets: LocalSecrets, channels: number): Promise<Calibration> {
  const peers = await Promise.all((['context', 'embedding'] as const).map((s) => spawnListener('scripts/lib/calibration-mesh.ts', ['--role', 'peer'], secrets.envFor(s))));
  const gateway = await spawnListener('scripts/lib/calibration-mesh.ts', ['--role', 'gateway', '--peers', peers.map((p) => `127.0.0.1:${p.port}`).join(',')], {
    ...secrets.envFor('context'),
    // The calibration gateway presents the gateway's certificate to its peers, as the real one does.
    ...(secrets.pki ? secrets.pki.forService('gateway') : {}),
  });
  const clients = Array.from({ length: channels }, (_, i) => new CalibrationClientCtor(`127.0.0.1:${gateway.port}`, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'bench.channel': i }));
  return {
    pids: { 'cal-gateway': [gateway.child.pid!], 'cal-peers': peers.map((p) => p.child.pid!) },
    clients,
    stop: async () => {
      for (const c of clients) c.close();
      await Promise.all([gateway, ...peers].map((p) => p.stop()));
    },
  };
}

// ---------------------------------------------------------------- load

interface RunResult {
  ok: number;
  errors: Map<string, number>;
  wallMs: number;
  latencies: number[];
  cpuMs: Map<string, number>;
  rss: Map<string, number>;
}

/** N workers calling one at a time each, until `count` calls were started or `maxMs` passed. */
async function drive(n: number, count: number, maxMs: number, callOne: (i: number) => Promise<void>, processes: Processes): Promise<RunResult> {
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let started = 0;
  const before = snapshot(processes);
  const t0 = performance.now();
  const until = t0 + maxMs;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (started < count && performance.now() < until) {
        const i = started++;
        const t = performance.now();
        try {
          await callOne(i);
          latencies.push(performance.now() - t);
        } catch (err: unknown) {
          // PeerStatusError carries the status; callUnary turns DEADLINE_EXCEEDED and CANCELLED into their own errors.
          const code = (err as { code?: number }).code;
          const key = code === undefined ? (err as Error).constructor.name : `code ${code}`;
          errors.set(key, (errors.get(key) ?? 0) + 1);
        }
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpuMs = cpuMsBetween(before, snapshot(processes));
  const rss = new Map<string, number>();
  for (const [name, pids] of Object.entries(processes)) if (name !== 'postgres') rss.set(name, pids().reduce((s, p) => s + rssMb(p), 0));
  latencies.sort((a, b) => a - b);
  return { ok: latencies.length, errors, wallMs, latencies, cpuMs, rss };
}

interface Scenario {
  name: string;
  /** LLM delay in ms; undefined: offline default (no OPENAI_API_KEY). */
  llmDelayMs: number | undefined;
  ns: number[];
  histories: number[];
}

interface Bounds {
  count(n: number): number;
  maxMs: number;
  calCount(n: number): number;
  calMaxMs: number;
  reps: number;
}

interface Row {
  scenario: string;
  history: number;
  n: number;
  runs: RunResult[];
  cal: RunResult[];
}

const rate = (r: RunResult) => (r.ok * 1000) / r.wallMs;

function benchEnv(service: ServiceName, llm: { baseUrl: string } | undefined): NodeJS.ProcessEnv {
  // Raised so the bench measures the services, not their admission control or write limits.
  const common: NodeJS.ProcessEnv = { LOG_LEVEL: 'error', MAX_CONCURRENT_CALLS: '4096', CPU_MAX_QUEUE: '4096' };
  if (service === 'gateway') return { ...common, WRITE_RATE_BURST: '1000000', WRITE_RATE_PER_SECOND: '1000000', PROVISION_RATE_PER_MINUTE: '100000' };
  if (service === 'extraction') {
    return {
      ...common,
      EXTRACTION_MAX_QUEUE: '4096',
      ...(llm
        ? { OPENAI_API_KEY: 'instant', OPENAI_BASE_URL: llm.baseUrl, LLM_MAX_CONCURRENCY: '512', LLM_MAX_QUEUE: '4096', LLM_MODELS: 'instant' }
        : { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }),
    };
  }
  // Embeddings stay offline in every scenario: the issue varies the extractor only.
  return { ...common, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' };
}

/** `count` past encounters: ACI-Bench train and MTS-Dialog train repeated, each with its own external id. */
function historyEncounters(count: number) {
  const base = [
    ...loadAciBench('train').map((e) => ({ transcript: e.src, note: e.tgt, id: e.file })),
    ...loadMtsDialog('train').map((e) => ({ transcript: e.dialogue, note: `${e.sectionHeader}: ${e.sectionText}`, id: `mts-${e.id}` })),
  ];
  return Array.from({ length: count }, (_, i) => {
    const e = base[i % base.length]!;
    return { transcript: e.transcript, note: e.note, externalId: `${e.id}#${Math.floor(i / base.length)}`, qualityScore: undefined };
  });
}

async function runScenario(infra: Infra, scenario: Scenario, history: number, bounds: Bounds, soakSeconds?: number): Promise<Row[]> {
  const llm = scenario.llmDelayMs === undefined ? undefined : await spawnListener('scripts/lib/instant-llm.ts', ['--port', '0', '--delay-ms', String(scenario.llmDelayMs)]);
  const llmInfo = llm ? { baseUrl: `http://127.0.0.1:${llm.port}/v1` } : undefined;
  const db = await createScratchDatabase(infra.databaseUrl, 'clinote_bench_load');
  const group = new ServiceGroup(root);
  let running: RunningServices | undefined;
  let cal: Calibration | undefined;
  const clients: GatewayServiceClient[] = [];
  try {
    const roles = await provisionDatabaseRoles(db.url);
    const secrets = await prepareLocalSecrets(root, { auth: 'dev', mutualTls: true });
    const prefix = `clinote:bench-load:${Date.now().toString(36)}:`;
    running = await startServices(group, {
      envFor: (s) => ({ REDIS_URL: infra.redisUrl, REDIS_KEY_PREFIX: prefix, DB_POOL_MIN: '2', ...roles.envFor(s), ...secrets.envFor(s), ...benchEnv(s, llmInfo) }),
      credentialsFor: (s) => secrets.credentialsFor(s),
      gatewayAddress: '127.0.0.1:0',
    });
    const maxN = Math.max(...scenario.ns);
    const channels = Math.min(maxN, 4);
    cal = await startCalibration(secrets, channels);
    const token = await secrets.devToken('bench-load', 6 * 3600);
    for (let i = 0; i < channels; i++) {
      // A subchannel pool per client: each is its own HTTP/2 connection.
      clients.push(new GatewayServiceClient(running.address('gateway'), credentials.createInsecure(), { interceptors: [bearerInterceptor(token)], 'grpc.use_local_subchannel_pool': 1, 'bench.channel': i }));
    }
    const callers = clients.map((c) => ({ c, call: clientCaller(c, 120_000) }));
    const { c: c0, call: call0 } = callers[0]!;
    const { user } = await call0(c0.createUser, { email: `bench-load-${Date.now()}@clinote.local`, displayName: 'Bench load' });
    const { sop } = await call0(c0.createSop, { userId: user!.id, name: 'SOAP', sections: SOAP_NOTE_SECTIONS });

    let t = performance.now();
    const encounters = historyEncounters(history);
    for (let i = 0; i < encounters.length; i += IMPORT_BATCH) {
      await call0(c0.importEncounters, { userId: user!.id, encounters: encounters.slice(i, i + IMPORT_BATCH) });
    }
    say(`  ${scenario.name}, history ${history}: seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const transcripts = loadAciBench('valid').map((e) => e.src);
    const payload = Buffer.alloc(Math.round(transcripts.reduce((s, x) => s + Buffer.byteLength(x), 0) / transcripts.length), 'x');
    const pids = Object.fromEntries(SERVICE_NAMES.map((s) => [s, running!.get(s).child.pid!]));
    const processes: Processes = {
      ...Object.fromEntries(SERVICE_NAMES.map((s) => [s, () => [pids[s]!]])),
      postgres: postgresPids,
      ...(llm ? { llm: () => [llm.child.pid!] } : {}),
      client: () => [process.pid],
    };
    const calProcesses: Processes = { ...Object.fromEntries(Object.entries(cal.pids).map(([k, v]) => [k, () => v])), client: () => [process.pid] };
    const extract = (i: number) =>
      callers[i % callers.length]!.call(callers[i % callers.length]!.c.extract, {
        userId: user!.id,
        transcript: transcripts[i % transcripts.length]!,
        sopIds: [sop!.id],
        idempotencyKey: '',
        referenceNote: '',
      }).then(() => undefined);
    const calCall = (i: number) => callOnce(cal!.clients[i % cal!.clients.length]!, payload, 30_000).then(() => undefined);

    t = performance.now();
    await drive(Math.min(maxN, 8), Math.max(16, Math.min(maxN, 64)), 60_000, extract, processes);
    await drive(Math.min(maxN, 16), 500, 5_000, calCall, calProcesses);
    say(`  warm-up ${((performance.now() - t) / 1000).toFixed(1)} s; payload ${payload.length} B; ${channels} HTTP/2 connections each`);

    if (soakSeconds !== undefined) {
      await soak(soakSeconds, 16, extract, processes);
      return [];
    }

    const rows: Row[] = scenario.ns.map((n) => ({ scenario: scenario.name, history, n, runs: [], cal: [] }));
    for (let rep = 0; rep < bounds.reps; rep++) {
      for (const row of rows) {
        row.cal.push(await drive(row.n, bounds.calCount(row.n), bounds.calMaxMs, calCall, calProcesses));
        const r = await drive(row.n, bounds.count(row.n), bounds.maxMs, extract, processes);
        row.runs.push(r);
        say(`    rep ${rep + 1} N=${String(row.n).padStart(3)}: ${rate(r).toFixed(1)} req/s p50 ${quantile(r.latencies, 0.5).toFixed(0)} ms (${r.ok} ok${[...r.errors].map(([k, v]) => `, ${v} ${k}`).join('')}); calibration ${rate(row.cal.at(-1)!).toFixed(0)} req/s`);
      }
    }
    return rows;
  } finally {
    for (const c of clients) c.close();
    await cal?.stop();
    await group.stopAll();
    await llm?.stop();
    await db.drop().catch(() => undefined);
  }
}

async function soak(seconds: number, n: number, callOne: (i: number) => Promise<void>, processes: Processes): Promise<void> {
  const names = Object.keys(processes).filter((k) => k !== 'postgres' && k !== 'client');
  const samples: Array<{ s: number; rss: number[] }> = [];
  const t0 = performance.now();
  const sample = () => samples.push({ s: (performance.now() - t0) / 1000, rss: names.map((k) => processes[k]!().reduce((a, p) => a + rssMb(p), 0)) });
  sample();
  const timer = setInterval(sample, Math.max(1_000, Math.floor((seconds * 1000) / 20)));
  const r = await drive(n, Number.MAX_SAFE_INTEGER, seconds * 1000, callOne, processes);
  clearInterval(timer);
  sample();
  const lines = [
    `### Soak: RSS over ${seconds} s (offline default, history 100, N = ${n}; ${r.ok} extractions, ${rate(r).toFixed(1)} req/s)`,
    '',
    `| t (s) | ${names.map((k) => `${k} MB`).join(' | ')} |`,
    `| --- | ${names.map(() => '---').join(' | ')} |`,
    ...samples.map((x) => `| ${x.s.toFixed(0)} | ${x.rss.map((v) => v.toFixed(0)).join(' | ')} |`),
  ];
  for (const l of lines) say(l);
  soakLines = lines;
}
let soakLines: string[] | undefined;

// ---------------------------------------------------------------- report

const f = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const range = (s: Spread, digits = 1) => `${f(s.median, digits)} (${f(s.min, digits)}–${f(s.max, digits)})`;
const PROCS = ['gateway', 'context', 'embedding', 'extraction', 'postgres', 'llm', 'client'];

function report(rows: Row[]): string[] {
  const out: string[] = [];
  out.push('Median of the repetitions, (min–max) across them; ×cal: the figure over the calibration\'s at the same N in the same repetition (req/s: mesh/cal; latency: mesh/cal).');
  out.push('');
  out.push('| scenario | history | N | req/s | ×cal | p50 ms | p90 ms | p99 ms | p50 ×cal | errors | CPU ms/req gateway / context / embedding / extraction / postgres / llm / client | RSS MB gw / ctx / emb / ext | busiest (% of a core) |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const q = (p: number) => spread(row.runs.map((r) => quantile(r.latencies, p)));
    const ratioRate = spread(row.runs.map((r, i) => rate(r) / rate(row.cal[i]!)));
    const ratioP50 = spread(row.runs.map((r, i) => quantile(r.latencies, 0.5) / quantile(row.cal[i]!.latencies, 0.5)));
    const errors = new Map<string, number>();
    for (const r of row.runs) for (const [k, v] of r.errors) errors.set(k, (errors.get(k) ?? 0) + v);
    const cpu = PROCS.map((p) => (row.runs[0]!.cpuMs.has(p) ? f(spread(row.runs.map((r) => r.cpuMs.get(p)! / Math.max(1, r.ok))).median, 1) : '–')).join(' / ');
    const rss = ['gateway', 'context', 'embedding', 'extraction'].map((p) => f(Math.max(...row.runs.map((r) => r.rss.get(p) ?? NaN)), 0)).join(' / ');
    // Which process the run kept busiest: CPU time over wall time, median of the repetitions.
    const busy = PROCS.filter((p) => p !== 'client' && row.runs[0]!.cpuMs.has(p))
      .map((p) => ({ p, pct: spread(row.runs.map((r) => (100 * r.cpuMs.get(p)!) / r.wallMs)).median }))
      .sort((a, b) => b.pct - a.pct);
    const busiest = busy.slice(0, 2).map((b) => `${b.p} ${f(b.pct, 0)}`).join(', ');
    out.push(
      `| ${row.scenario} | ${row.history} | ${row.n} | ${range(spread(row.runs.map(rate)))} | ${Number.isFinite(ratioRate.median) ? ratioRate.median.toPrecision(2) : '–'} | ${range(q(0.5), 0)} | ${f(q(0.9).median, 0)} | ${f(q(0.99).median, 0)} | ${f(ratioP50.median, 0)} | ${[...errors].map(([k, v]) => `${v} × ${k}`).join(', ') || '0'} | ${cpu} | ${rss} | ${busiest} |`,
    );
  }
  out.push('');
  out.push('Calibration (trivial gateway + two peers, same hop shape, payload and transports), measured in the same runs:');
  out.push('');
  out.push('| scenario | history | N | req/s | p50 ms | p90 ms | p99 ms | CPU ms/req gateway / peers / client | RSS MB gw / peers |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const q = (p: number) => spread(row.cal.map((r) => quantile(r.latencies, p)));
    const cpu = ['cal-gateway', 'cal-peers', 'client'].map((p) => f(spread(row.cal.map((r) => r.cpuMs.get(p)! / Math.max(1, r.ok))).median, 3)).join(' / ');
    const rss = ['cal-gateway', 'cal-peers'].map((p) => f(row.cal.at(-1)!.rss.get(p) ?? NaN, 0)).join(' / ');
    out.push(`| ${row.scenario} | ${row.history} | ${row.n} | ${range(spread(row.cal.map(rate)), 0)} | ${range(q(0.5), 2)} | ${f(q(0.9).median, 2)} | ${f(q(0.99).median, 2)} | ${cpu} | ${rss} |`);
  }
  return out;
}

function machine(): string {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // os.cpus() then
  }
  return `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${nproc} cores (nproc), ${model}; Node ${process.version}; Postgres the shared server on 127.0.0.1:5432, Redis on 6379`;
}

/** Replaces our section of BENCHMARKS.md (up to the next `## ` heading), or appends it. */
export function replaceSection(doc: string, section: string, body: string): string {
  const start = doc.indexOf(`${section}\n`);
  const block = `${section}\n\n${body.trimEnd()}\n`;
  if (start < 0) return `${doc.trimEnd()}${doc.trim() ? '\n\n' : ''}${block}`;
  const next = doc.indexOf('\n## ', start + section.length);
  return `${doc.slice(0, start)}${block}${next < 0 ? '' : doc.slice(next)}`;
}

function writeBenchmarks(lines: string[], mode: string, section = SECTION): void {
  const file = path.join(root, 'BENCHMARKS.md');
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const body = [`Run: \`pnpm bench load${mode}\`, ${machine()}.`, '', ...lines].join('\n');
  writeFileSync(file, replaceSection(doc, section, body));
  say(`wrote ${path.relative(root, file)} (${section})`);
}

// ---------------------------------------------------------------- main

export async function runLoadBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args: args.filter((a) => a !== '--'),
    options: {
      quick: { type: 'boolean', default: false },
      soak: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      history: { type: 'string' },
      scenario: { type: 'string' },
    },
  });
  const quick = values.quick;
  const histories = values.history ? values.history.split(',').map(Number) : quick ? [100] : [100, 10_000];
  const allScenarios: Scenario[] = [
    { name: 'offline', llmDelayMs: undefined, ns: quick ? [1, 16] : [1, 16, 64], histories },
    { name: 'instant LLM', llmDelayMs: 0, ns: quick ? [1, 16] : [1, 16, 64], histories },
    ...(quick ? [] : [{ name: 'LLM 1 s', llmDelayMs: 1_000, ns: [256], histories: [histories[0]!] }]),
  ];
  // --scenario offline,instant: only those (matched by the start of their names).
  const wanted = values.scenario?.split(',').map((w) => w.trim().toLowerCase());
  const scenarios = wanted ? allScenarios.filter((s) => wanted.some((w) => s.name.toLowerCase().startsWith(w))) : allScenarios;
  const bounds: Bounds = quick
    ? { count: (n) => Math.max(8, n * 3), maxMs: 10_000, calCount: (n) => 200 * Math.max(1, Math.min(n, 16)), calMaxMs: 3_000, reps: 3 }
    : { count: (n) => Math.max(30, n * 6), maxMs: 30_000, calCount: (n) => 500 * Math.max(1, Math.min(n, 16)), calMaxMs: 5_000, reps: 3 };
  const infra = await resolveInfra(root);
  say(`pnpm bench load${quick ? ' --quick' : ''}: ${machine()}`);
  try {
    if (values.soak !== undefined) {
      const seconds = Number(values.soak);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('--soak SECONDS');
      await runScenario(infra, scenarios[0]!, 100, bounds, seconds);
      if (!values['no-write'] && soakLines) writeBenchmarks(soakLines, ` --soak ${seconds}`, '## Load soak (pnpm bench load --soak)');
      return 0;
    }
    const rows: Row[] = [];
    for (const scenario of scenarios) for (const history of scenario.histories) rows.push(...(await runScenario(infra, scenario, history, bounds)));
    const lines = report(rows);
    say('');
    for (const l of lines) say(l);
    if (!values['no-write']) writeBenchmarks(lines, quick ? ' --quick' : '');
    return 0;
  } finally {
    await infra.stop();
  }
}
