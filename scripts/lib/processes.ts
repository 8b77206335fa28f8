// Runs each service as its own process, as in production, and learns its port from its first log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { credentials, makeGenericClientConstructor, type ChannelCredentials, type ChannelOptions, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

/** How a process ended: its exit code, or the signal that killed it. */
export type ExitStatus = number | NodeJS.Signals;

export interface ServiceProcess {
  name: string;
  port: number;
  child: ChildProcess;
  logFile: string;
  /** Settles when the process has ended, however it ended (also when it had ended before anyone asked). */
  exited: Promise<ExitStatus>;
}

interface Spawned {
  name: string;
  child: ChildProcess;
  exited: Promise<ExitStatus>;
}

function start(root: string, name: string, env: NodeJS.ProcessEnv): Spawned & { logFile: string; log: ReturnType<typeof createWriteStream> } {
  const logDir = path.join(root, '.data', 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  // SERVICE_NODE_ARGS: extra node flags for the services only (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`,
  // which NODE_OPTIONS refuses).
  const extra = process.env.SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', path.join(root, 'services', name, 'src', 'main.ts')], {
    cwd: root,
    env: { ...process.env, ...env, GRPC_ADDRESS: env.GRPC_ADDRESS ?? '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.pipe(log);
  // Listened for from the start, so an early death is never missed.
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 1));
    child.once('error', () => resolve(child.exitCode ?? child.signalCode ?? 1));
  });
  return { name, child, exited, logFile, log };
}

function learnPort(spawned: ReturnType<typeof start>, timeoutMs: number): Promise<ServiceProcess> {
  const { name, child, logFile, log, exited } = spawned;
  return new Promise<ServiceProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not report listening within ${timeoutMs} ms (see ${logFile})`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      try {
        const event = JSON.parse(line) as { msg?: string; port?: number };
        if (event.msg === `${name} listening` && typeof event.port === 'number') {
          clearTimeout(timer);
          resolve({ name, port: event.port, child, logFile, exited });
        }
      } catch {
        // not JSON: keep it in the log file only
      }
    });
    void exited.then((status) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${status}) before listening (see ${logFile})`));
    });
  });
}

export async function spawnService(root: string, name: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ServiceProcess> {
  return learnPort(start(root, name, env), timeoutMs);
}

/** SIGTERM, SIGKILL after timeoutMs; returns at once for a process that already ended (whatever ended it). */
export async function stopService(service: Pick<ServiceProcess, 'child' | 'exited'>, timeoutMs = 15_000): Promise<ExitStatus> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return service.exited;
  const force = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.kill('SIGTERM');
  try {
    return await service.exited;
  } finally {
    clearTimeout(force);
  }
}

/**
 * Every service process of one run, tracked from the moment it is spawned, so a stop reaches the
 * ones still starting too. The gateway stops first, so its in-flight calls can still reach peers.
 */
export class ServiceGroup {
  private readonly members: Spawned[] = [];
  private stopping: Promise<Map<string, ExitStatus>> | undefined;

  constructor(private readonly root: string) {}

  async spawn(name: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ServiceProcess> {
    if (this.stopping) throw new Error(`not starting ${name}: stopping`);
    const spawned = start(this.root, name, env);
    this.members.push(spawned);
    return learnPort(spawned, timeoutMs);
  }

  get pids(): number[] {
    return this.members.flatMap((m) => (m.child.pid === undefined ? [] : [m.child.pid]));
  }

  /** Stops every member (idempotent); resolves with each one's exit status. */
  stopAll(timeoutMs = 15_000): Promise<Map<string, ExitStatus>> {
    this.stopping ??= (async () => {
      const statuses = new Map<string, ExitStatus>();
      const gateway = this.members.filter((m) => m.name === 'gateway');
      const others = this.members.filter((m) => m.name !== 'gateway');
      for (const batch of [gateway, others]) {
        const codes = await Promise.all(batch.map((m) => stopService(m, timeoutMs)));
        batch.forEach((m, i) => statuses.set(m.name, codes[i]!));
      }
      return statuses;
    })();
    return this.stopping;
  }

  /** A second Ctrl-C: no more waiting. */
  killAll(): void {
    for (const m of this.members) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
  }
}

interface HealthClient {
  check(req: { service: string }, options: { deadline: Date }, cb: (err: ServiceError | null, res: { status: string }) => void): void;
  close(): void;
}
const HealthClientCtor = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health') as unknown as new (
  address: string,
  creds: ChannelCredentials,
  options?: ChannelOptions,
) => HealthClient;

/**
 * The name our certificates carry besides 127.0.0.1 (SAN DNS:localhost): TLS to an IP address
 * would otherwise send that IP as SNI, which Node warns about.
 */
export const LOOPBACK_TLS_NAME: ChannelOptions = { 'grpc.ssl_target_name_override': 'localhost' };

/** grpc.health.v1 Check: the overall status, or the call's error. */
export function probeHealth(address: string, creds: ChannelCredentials, timeoutMs = 2_000, options?: ChannelOptions): Promise<string> {
  const client = new HealthClientCtor(address, creds, options);
  return new Promise<string>((resolve, reject) =>
    client.check({ service: '' }, { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(String(res.status));
    }),
  );
}

/** Polls health until SERVING; fails at once if the process ends, and after timeoutMs in any case. */
export async function waitServing(service: ServiceProcess, creds: ChannelCredentials, timeoutMs = 60_000, options?: ChannelOptions): Promise<void> {
  const address = `127.0.0.1:${service.port}`;
  const until = Date.now() + timeoutMs;
  let ended: ExitStatus | undefined;
  void service.exited.then((s) => (ended = s));
  let last = 'no answer';
  while (Date.now() < until) {
    if (ended !== undefined) throw new Error(`${service.name} exited (${ended}) before serving (see ${service.logFile})`);
    try {
      last = await probeHealth(address, creds, Math.min(2_000, Math.max(1, until - Date.now())), options);
      if (last === 'SERVING') return;
    } catch (err: unknown) {
      last = err instanceof Error ? err.message : String(err);
    }
    await delay(200);
  }
  throw new Error(`${service.name} not SERVING within ${timeoutMs} ms (last: ${last}; see ${service.logFile})`);
}

/**
 * How a client dials the gateway's public listener: plaintext, or one-way TLS when PUBLIC_TLS_* are
 * set. PUBLIC_TLS_CA verifies the certificate; without it (a local run's own listener on loopback)
 * the connection is encrypted but the certificate is not checked.
 */
export function publicClientCredentials(env: NodeJS.ProcessEnv): ChannelCredentials {
  if (!env.PUBLIC_TLS_CERT) return credentials.createInsecure();
  if (env.PUBLIC_TLS_CA) return credentials.createSsl(readFileSync(env.PUBLIC_TLS_CA));
  return credentials.createSsl(null, null, null, { rejectUnauthorized: false });
}

export interface RunningServices {
  services: ServiceProcess[];
  get(name: string): ServiceProcess;
  address(name: string): string;
}

export interface StartServicesOptions {
  /** Everything a service gets on top of this process's environment. */
  envFor(service: 'gateway' | 'context' | 'embedding' | 'extraction'): NodeJS.ProcessEnv;
  credentialsFor(service: 'gateway' | 'context' | 'embedding' | 'extraction'): ChannelCredentials;
  /** host:port the gateway listens on (port 0: any free port). */
  gatewayAddress: string;
}

/** Starts the three internal services, then the gateway wired to them, and waits until all four are SERVING. */
export async function startServices(group: ServiceGroup, options: StartServicesOptions): Promise<RunningServices> {
  const internal = ['context', 'embedding', 'extraction'] as const;
  const spawned = await Promise.allSettled(internal.map((name) => group.spawn(name, options.envFor(name))));
  const failed = spawned.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const services = spawned.map((s) => (s as PromiseFulfilledResult<ServiceProcess>).value);
  const address = (name: string) => `127.0.0.1:${services.find((s) => s.name === name)!.port}`;
  services.push(
    await group.spawn('gateway', {
      ...options.envFor('gateway'),
      GRPC_ADDRESS: options.gatewayAddress,
      CONTEXT_ADDR: `dns:///${address('context')}`,
      EMBEDDING_ADDR: `dns:///${address('embedding')}`,
      EXTRACTION_ADDR: `dns:///${address('extraction')}`,
    }),
  );
  await Promise.all(
    services.map((s) => waitServing(s, options.credentialsFor(s.name as 'gateway'), 60_000, s.name === 'gateway' ? undefined : LOOPBACK_TLS_NAME)),
  );
  return {
    services,
    get: (name) => services.find((s) => s.name === name)!,
    address,
  };
}
