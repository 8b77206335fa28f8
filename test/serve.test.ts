// `pnpm serve` as a newcomer runs it: a real child process (through pnpm), four service processes,
// a ready file, dev-mode tokens from `pnpm token`, internal mTLS, and a stop that leaves nothing
// behind, also when one service was killed first.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { credentials, status } from '@grpc/grpc-js';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEV_AUDIENCE, DEV_ISSUER } from '@clinote/shared/auth/dev-auth.js';
import { keyPairFiles, loadJwks } from '@clinote/shared/auth/keys.js';
import { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { bearerInterceptor } from '@clinote/shared/grpc-client.js';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { pkiAt } from '../scripts/lib/pki.js';
import { LOOPBACK_TLS_NAME, probeHealth } from '../scripts/lib/processes.js';
import { ADMIN_DATABASE_URL, REDIS_URL } from './support/env.js';
import { ROOT, call, refusal } from './support/grpc.js';

const PNPM = ['-y', 'pnpm@10.34.9'];
const run = promisify(execFile);

interface Ready {
  gateway: string;
  internal: { context: string; embedding: string; extraction: string };
  pids: { gateway: number; context: number; embedding: number; extraction: number };
}

interface Serve {
  child: ChildProcess;
  readyFile: string;
  output: () => string;
  exit: Promise<number | null>;
}

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let scratch: string;
let devDir: string;
const leftovers: number[] = [];

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_serve');
  scratch = mkdtempSync(path.join(tmpdir(), 'clinote-serve-'));
  devDir = path.join(scratch, 'dev-auth');
});

afterEach(() => {
  // A failed test must not leave services running: by pid, never by name.
  for (const pid of leftovers.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

afterAll(async () => {
  await db?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  GATEWAY_PORT: '0',
  DATABASE_URL: db.url,
  REDIS_URL,
  AUTH_DEV_DIR: devDir,
  LOG_LEVEL: 'warn',
});

function startServe(name: string): Serve {
  const readyFile = path.join(scratch, `${name}.ready.json`);
  const child = spawn('npx', [...PNPM, 'serve', '--', '--ready-file', readyFile], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, readyFile, output: () => output, exit };
}

/** Polls for the ready file (bounded); fails as soon as serve exits instead. */
async function waitReady(serve: Serve, timeoutMs = 90_000): Promise<Ready> {
  let exited = false;
  void serve.exit.then(() => (exited = true));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (existsSync(serve.readyFile)) {
      const ready = JSON.parse(readFileSync(serve.readyFile, 'utf8')) as Ready;
      leftovers.push(...Object.values(ready.pids), servePid(ready));
      return ready;
    }
    if (exited) throw new Error(`serve exited before it was ready:\n${serve.output()}`);
    await delay(100);
  }
  throw new Error(`no ready file within ${timeoutMs} ms:\n${serve.output()}`);
}

/** Resolves once the output matches (it is read from a pipe, behind what the process has written). */
async function outputMatching(serve: Serve, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(serve.output())) {
    if (Date.now() > until) expect(serve.output()).toMatch(pattern);
    await delay(50);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The serve process itself: the parent of the services (pnpm and npx sit above it and forward no SIGTERM). */
function servePid(ready: Ready): number {
  const stat = readFileSync(`/proc/${ready.pids.gateway}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function goneWithin(pids: number[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < until) await delay(50);
  expect(pids.filter(alive)).toEqual([]);
}

/** `pnpm -s token -- --sub NAME`, as the README has a newcomer type it. */
async function pnpmToken(subject: string, ttl?: number): Promise<string> {
  const args = [...PNPM, '-s', 'token', '--', '--sub', subject, ...(ttl ? ['--ttl', String(ttl)] : [])];
  const { stdout } = await run('npx', args, { cwd: ROOT, env: env() });
  return stdout;
}

/** scripts/healthcheck.ts's exit code. */
async function healthcheck(address: string, extra: NodeJS.ProcessEnv): Promise<number> {
  const probeEnv = { ...process.env, GRPC_TLS_CA: '', GRPC_TLS_CERT: '', GRPC_TLS_KEY: '', ...extra };
  try {
    await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'healthcheck.ts'), address], { cwd: ROOT, env: probeEnv });
    return 0;
  } catch (err: unknown) {
    return (err as { code?: number }).code ?? -1;
  }
}

function gatewayClient(ready: Ready, token?: string): GatewayServiceClient {
  return new GatewayServiceClient(ready.gateway, credentials.createInsecure(), token ? { interceptors: [bearerInterceptor(token)] } : {});
}

describe('pnpm serve', () => {
  it('serves the mesh with dev tokens and mTLS inside, and SIGTERM stops all four', { timeout: 120_000 }, async () => {
    const serve = startServe('clean');
    const ready = await waitReady(serve);
    expect(ready.gateway).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Object.keys(ready.internal).sort()).toEqual(['context', 'embedding', 'extraction']);
    expect(Object.keys(ready.pids).sort()).toEqual(['context', 'embedding', 'extraction', 'gateway']);
    for (const pid of Object.values(ready.pids)) expect(alive(pid)).toBe(true);
    // Printed before the ready file was written; the pipe may still be delivering it.
    await outputMatching(serve, /^export TOKEN=[\w-]+\.[\w-]+\.[\w-]+$/m);

    const anonymous = gatewayClient(ready);
    expect((await refusal(call(anonymous, anonymous.getUser, { userId: '' }))).code).toBe(status.UNAUTHENTICATED);
    anonymous.close();

    const output = await pnpmToken('x', 600);
    expect(output).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = output.trim();
    const x = gatewayClient(ready, token);
    const { user } = await call(x, x.createUser, { email: 'x@serve.test', displayName: 'X' });
    const { user: same } = await call(x, x.getUser, { userId: '' });
    expect(same).toMatchObject({ id: user!.id, email: 'x@serve.test', displayName: 'X' });
    x.close();

    const printed = /^export TOKEN=(\S+)$/m.exec(serve.output())![1]!;
    const dev = gatewayClient(ready, printed);
    const { user: devUser } = await call(dev, dev.getUser, { userId: '' });
    expect(devUser!.id).not.toBe(user!.id);
    dev.close();

    // Internal listeners: plaintext refused; the gateway's certificate from .data/pki gets through.
    const asGateway = grpcCredentials(pkiAt(path.join(ROOT, '.data', 'pki')).forService('gateway')).client;
    for (const address of Object.values(ready.internal)) {
      await expect(probeHealth(address, credentials.createInsecure())).rejects.toMatchObject({ code: status.UNAVAILABLE });
      expect(await probeHealth(address, asGateway, 5_000, LOOPBACK_TLS_NAME)).toBe('SERVING');
    }

    // Each service connects as its own database role, none as the superuser it was given.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ usename: string }>(
        'select distinct usename from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() order by 1',
      );
      expect(rows.map((r) => r.usename)).toEqual(['clinote_context', 'clinote_embedding', 'clinote_extraction', 'clinote_gateway']);
    } finally {
      await admin.end();
    }

    // The image's health probe, as Docker runs it: the listener's own credentials from the environment.
    const pki = pkiAt(path.join(ROOT, '.data', 'pki'));
    expect(await healthcheck(ready.internal.context, { SERVICE: 'context', ...pki.forService('context') })).toBe(0);
    expect(await healthcheck(ready.gateway, { SERVICE: 'gateway', ...pki.forService('gateway') })).toBe(0);
    expect(await healthcheck(ready.internal.extraction, { SERVICE: 'extraction' })).toBe(1);

    const pids = Object.values(ready.pids);
    process.kill(servePid(ready), 'SIGTERM');
    expect(await serve.exit).toBe(0);
    await goneWithin(pids, 1_000);
    expect(existsSync(serve.readyFile)).toBe(false);
    expect(serve.output()).toContain('stopped 4 services (gateway 0, context 0, embedding 0, extraction 0)');
  });

  it('still stops promptly and completely when a service was killed first', { timeout: 120_000 }, async () => {
    const serve = startServe('killed');
    const ready = await waitReady(serve);
    process.kill(ready.pids.extraction, 'SIGKILL');
    await goneWithin([ready.pids.extraction], 5_000);

    const started = Date.now();
    process.kill(servePid(ready), 'SIGTERM');
    // A dead service is reported, not waited for; the others drain well within the stop bound.
    expect(await serve.exit).toBe(1);
    // Bounded by the stop itself (SIGKILL after 15 s per stage), however loaded the machine: no hang.
    expect(Date.now() - started).toBeLessThan(40_000);
    await goneWithin(Object.values(ready.pids), 1_000);
    expect(serve.output()).toContain('extraction exited unexpectedly (SIGKILL)');
    expect(serve.output()).toMatch(/stopped 4 services \(gateway 0, .*extraction SIGKILL/);
  });

  it('mints tokens with `pnpm token` that verify against the dev key set', { timeout: 60_000 }, async () => {
    const token = (await pnpmToken('newcomer', 900)).trim();
    const jwks = createLocalJWKSet(loadJwks(keyPairFiles(devDir, 'access').jwksFile));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: DEV_ISSUER, audience: DEV_AUDIENCE });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.sub).toBe('newcomer');
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(decodeJwt((await pnpmToken('other')).trim()).exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(11 * 3600);

    await expect(run('npx', [...PNPM, '-s', 'token', '--', '--ttl', '60'], { cwd: ROOT, env: env() })).rejects.toMatchObject({
      stderr: expect.stringContaining('--sub NAME'),
    });
  });
});
