import { createHash } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { UnavailableError } from '@clinote/shared/errors.js';
import type { CallBounds, Embedder } from './embedder.js';
import { normalizeL2 } from './embedder.js';

/**
 * Test double of a provider: deterministic vectors, counts calls and texts, and can be held open
 * (`hold()` / `release()`) or made to fail, so tests control concurrency without timers.
 */
export class CountingEmbedder implements Embedder {
  readonly model = 'counting-fake';
  readonly version = '1';
  readonly calls: string[][] = [];
  readonly boundsSeen: CallBounds[] = [];
  failNext = false;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  constructor(readonly dimensions = 16) {}

  get texts(): number {
    return this.calls.reduce((n, c) => n + c.length, 0);
  }

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async embed(texts: string[], bounds: CallBounds): Promise<Float32Array[]> {
    this.calls.push([...texts]);
    this.boundsSeen.push(bounds);
    if (this.gate) await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new UnavailableError('provider down');
    }
    return texts.map((t) => this.vectorOf(t));
  }

  vectorOf(text: string): Float32Array {
    const digest = createHash('sha256').update(text).digest();
    const v = new Float32Array(this.dimensions);
    for (let i = 0; i < this.dimensions; i++) v[i] = digest[i % digest.length]! - 127.5;
    return normalizeL2(v);
  }
}

/**
 * A TCP relay in front of the real Redis, so a test can make Redis unreachable (`stop`), slow
 * (`stall`) and healthy again (`start`, `resume`) without touching the server other tests share.
 */
export class RedisRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private stalled = false;
  private readonly held: (() => void)[] = [];
  port = 0;

  constructor(private readonly target = { host: '127.0.0.1', port: 6379 }) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target);
      this.sockets.add(client).add(upstream);
      client.on('data', (chunk) => {
        if (this.stalled) this.held.push(() => upstream.write(chunk));
        else upstream.write(chunk);
      });
      upstream.on('data', (chunk) => client.write(chunk));
      const close = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Requests are held, unanswered, until resume(). */
  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    for (const send of this.held.splice(0)) send();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
