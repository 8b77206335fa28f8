// A small TCP proxy for fault tests: sits in front of one upstream and, switchable at runtime,
// passes bytes through, delays them, swallows them (black hole) or resets connections.
// It knows nothing of gRPC or TLS: it moves bytes, so (m)TLS stays end to end.
import { EventEmitter } from 'node:events';
import net from 'node:net';

export type ProxyMode =
  /** Bytes both ways, as they come. */
  | { kind: 'pass' }
  /** Every chunk held for ms in each direction, order kept. */
  | { kind: 'delay'; ms: number }
  /**
   * A partition: connections are accepted and read, nothing is forwarded or answered, nobody is
   * told. Open connections go silent too (what they had in flight is dropped).
   */
  | { kind: 'black-hole' }
  /** Every open connection and every new one is reset (RST). */
  | { kind: 'reset' };

export interface Upstream {
  host: string;
  port: number;
}

export interface ProxyStats {
  accepted: number;
  /** Connections reset by the proxy (reset mode, leaving a black hole, upstream unreachable). */
  reset: number;
  /** Bytes forwarded, both directions. */
  forwardedBytes: number;
  /** Bytes read and thrown away in black-hole mode. */
  droppedBytes: number;
}

/** Events: `dropped` (bytes), `forwarded` (bytes), `reset` (), `accepted` (). */
export interface TcpProxy extends EventEmitter {
  readonly port: number;
  /** host:port to dial instead of the upstream. */
  readonly address: string;
  readonly mode: ProxyMode;
  readonly stats: ProxyStats;
  /** Connections open now. */
  readonly openConnections: number;
  setMode(mode: ProxyMode): void;
  /** Stops listening and resets every open connection. */
  close(): Promise<void>;
}

type Item = { due: number; chunk: Buffer } | { due: number; end: true };

/** One direction of one connection: chunks leave in order, each no earlier than its due time. */
class Direction {
  private readonly queue: Item[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: () => net.Socket | undefined,
    private readonly to: () => net.Socket | undefined,
    private readonly proxy: Proxy,
  ) {}

  push(chunk: Buffer): void {
    if (this.proxy.silent()) return this.proxy.noteDropped(chunk.length);
    this.enqueue({ due: this.due(), chunk });
  }

  /** The source half-closed: so does the destination, after what is still held. */
  end(): void {
    if (!this.proxy.silent()) this.enqueue({ due: this.due(), end: true });
  }

  /** What was held is thrown away (a partition drops what is in flight). */
  drop(): void {
    for (const item of this.queue.splice(0)) if ('chunk' in item) this.proxy.noteDropped(item.chunk.length);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs once the destination is connected. */
  flush(): void {
    const dest = this.to();
    if (!dest) return;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      const item = this.queue.shift()!;
      if ('end' in item) {
        dest.end();
        continue;
      }
      this.proxy.noteForwarded(item.chunk.length);
      // Backpressure: the source is not read until the destination drains.
      if (!dest.write(item.chunk)) {
        const source = this.from();
        source?.pause();
        dest.once('drain', () => source?.resume());
      }
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.queue.length > 0 ? setTimeout(() => this.flush(), this.queue[0]!.due - now) : undefined;
  }

  private due(): number {
    const mode = this.proxy.mode;
    const due = Date.now() + (mode.kind === 'delay' ? mode.ms : 0);
    // Never ahead of a chunk still held: a switch from delay to pass keeps the byte order.
    return Math.max(due, this.queue.at(-1)?.due ?? 0);
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    this.flush();
  }
}

/** One client connection and, unless it arrived in a black hole, its upstream connection. */
class Link {
  private upstream: net.Socket | undefined;
  private upstreamReady = false;
  private readonly up: Direction;
  private readonly down: Direction;
  private closed = false;

  constructor(
    private readonly client: net.Socket,
    private readonly proxy: Proxy,
  ) {
    this.up = new Direction(() => client, () => (this.upstreamReady ? this.upstream : undefined), proxy);
    this.down = new Direction(() => this.upstream, () => client, proxy);
    client.on('data', (chunk: Buffer) => this.up.push(chunk));
    client.on('end', () => this.up.end());
    client.on('error', () => this.reset());
    client.on('close', () => this.finish());
  }

  /** Dials the upstream (never in black-hole mode: a partitioned peer is not reached). */
  dial(upstream: Upstream): void {
    // Half-open kept: each side's end is forwarded in order, after what is still held.
    const socket = net.connect({ host: upstream.host, port: upstream.port, noDelay: true, allowHalfOpen: true });
    this.upstream = socket;
    socket.on('connect', () => {
      this.upstreamReady = true;
      this.up.flush();
    });
    socket.on('data', (chunk: Buffer) => this.down.push(chunk));
    socket.on('end', () => this.down.end());
    // Upstream refused or died: the client sees a reset, as from a dead host's port.
    socket.on('error', () => this.reset());
  }

  reset(): void {
    if (this.closed) return;
    this.closed = true;
    this.up.drop();
    this.down.drop();
    this.proxy.noteReset();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (this.upstream && !this.upstream.destroyed) this.upstream.resetAndDestroy();
    this.proxy.forget(this);
  }

  /** Silent from now on: what is held is dropped, and so is whatever comes. */
  silence(): void {
    this.up.drop();
    this.down.drop();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.up.drop();
    this.down.drop();
    this.upstream?.destroy();
    this.proxy.forget(this);
  }
}

class Proxy extends EventEmitter implements TcpProxy {
  port = 0;
  mode: ProxyMode = { kind: 'pass' };
  readonly stats: ProxyStats = { accepted: 0, reset: 0, forwardedBytes: 0, droppedBytes: 0 };
  private readonly links = new Set<Link>();
  private readonly server: net.Server;

  constructor(private readonly upstream: Upstream) {
    super();
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.accept(client));
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get openConnections(): number {
    return this.links.size;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  silent(): boolean {
    return this.mode.kind === 'black-hole' || this.mode.kind === 'reset';
  }

  private accept(client: net.Socket): void {
    this.stats.accepted++;
    this.emit('accepted');
    client.on('error', () => undefined);
    if (this.mode.kind === 'reset') {
      this.noteReset();
      client.resetAndDestroy();
      return;
    }
    const link = new Link(client, this);
    this.links.add(link);
    if (this.mode.kind !== 'black-hole') link.dial(this.upstream);
  }

  setMode(mode: ProxyMode): void {
    const previous = this.mode;
    this.mode = mode;
    if (mode.kind === 'reset') {
      for (const link of [...this.links]) link.reset();
    } else if (mode.kind === 'black-hole') {
      for (const link of this.links) link.silence();
    } else if (previous.kind === 'black-hole') {
      // Connections that lived through the black hole lost bytes (or never reached the upstream):
      // their streams are broken, so they are reset and clients dial again.
      for (const link of [...this.links]) link.reset();
    }
  }

  noteDropped(bytes: number): void {
    this.stats.droppedBytes += bytes;
    this.emit('dropped', bytes);
  }

  noteForwarded(bytes: number): void {
    this.stats.forwardedBytes += bytes;
    this.emit('forwarded', bytes);
  }

  noteReset(): void {
    this.stats.reset++;
    this.emit('reset');
  }

  forget(link: Link): void {
    this.links.delete(link);
  }

  close(): Promise<void> {
    for (const link of [...this.links]) link.reset();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Listens on host:port (127.0.0.1, any free port by default) in front of upstream, in pass mode. */
export async function startTcpProxy(upstream: Upstream, listen: { host?: string; port?: number } = {}): Promise<TcpProxy> {
  const proxy = new Proxy(upstream);
  await proxy.listen(listen.host ?? '127.0.0.1', listen.port ?? 0);
  return proxy;
}
