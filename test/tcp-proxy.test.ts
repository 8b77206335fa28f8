// The fault suite's TCP proxy against a real echo server: pass, delay, black hole and reset, switched
// at runtime, with byte order, half-close and resets as a client sees them.
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

interface Echo {
  server: net.Server;
  port: number;
  /** Connections the echo server accepted. */
  connections: number;
  /** Bytes it received, all connections. */
  received: number;
}

let echo: Echo;
let proxy: TcpProxy;
const sockets: net.Socket[] = [];

beforeEach(async () => {
  const server = net.createServer({ allowHalfOpen: true });
  const state: Echo = { server, port: 0, connections: 0, received: 0 };
  server.on('connection', (socket) => {
    state.connections++;
    socket.on('data', (chunk) => {
      state.received += chunk.length;
      socket.write(chunk);
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.port = (server.address() as net.AddressInfo).port;
  echo = state;
  proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await proxy.close();
  echo.server.close();
});

interface Client {
  socket: net.Socket;
  /** Everything received so far. */
  text(): string;
  /** Resolves once the received text has at least n characters. */
  receive(n: number): Promise<string>;
  /** How the connection ended: its error code (ECONNRESET for a reset), or 'end'. */
  ended: Promise<string>;
}

async function dial(port = proxy.port): Promise<Client> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  sockets.push(socket);
  let text = '';
  const waiters: Array<() => void> = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of waiters.splice(0)) w();
  });
  const ended = new Promise<string>((resolve) => {
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    socket.once('end', () => resolve('end'));
  });
  await once(socket, 'connect');
  return {
    socket,
    text: () => text,
    ended,
    receive: (n) =>
      new Promise<string>((resolve) => {
        const check = () => (text.length >= n ? resolve(text) : waiters.push(check));
        check();
      }),
  };
}

/** Resolves once the proxy has thrown away at least n bytes in total. */
function dropped(n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (proxy.stats.droppedBytes >= n) {
        proxy.off('dropped', check);
        resolve();
      }
    };
    proxy.on('dropped', check);
    check();
  });
}

describe('tcp proxy', () => {
  it('passes bytes both ways and forwards a half-close after them', async () => {
    const c = await dial();
    c.socket.write('hello');
    expect(await c.receive(5)).toBe('hello');
    c.socket.end(' world');
    expect(await c.ended).toBe('end');
    expect(c.text()).toBe('hello world');
    expect(echo.connections).toBe(1);
  });

  it('delays each direction and keeps the byte order across a switch back to pass', async () => {
    const c = await dial();
    proxy.setMode({ kind: 'delay', ms: 100 });
    const started = performance.now();
    c.socket.write('a');
    await c.receive(1);
    // 100 ms up, 100 ms down (a small margin for timer granularity).
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);

    c.socket.write('b');
    proxy.setMode({ kind: 'pass' });
    c.socket.write('c');
    expect(await c.receive(3)).toBe('abc');
  });

  it('black-holes open and new connections silently, and resets them when it lifts', async () => {
    const open = await dial();
    open.socket.write('ping');
    await open.receive(4);
    proxy.setMode({ kind: 'black-hole' });

    open.socket.write('lost');
    const fresh = await dial();
    fresh.socket.write('also lost');
    await dropped('lost'.length + 'also lost'.length);
    expect(echo.received).toBe(4);
    expect(echo.connections).toBe(1); // the new connection never reached the upstream
    expect(open.text()).toBe('ping');
    expect(fresh.text()).toBe('');
    expect(proxy.openConnections).toBe(2);

    proxy.setMode({ kind: 'pass' });
    expect(await open.ended).toBe('ECONNRESET');
    expect(await fresh.ended).toBe('ECONNRESET');
    const after = await dial();
    after.socket.write('back');
    expect(await after.receive(4)).toBe('back');
  });

  it('resets open connections and every new one while in reset mode', async () => {
    const open = await dial();
    open.socket.write('x');
    await open.receive(1);
    proxy.setMode({ kind: 'reset' });
    expect(await open.ended).toBe('ECONNRESET');

    const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
    sockets.push(socket);
    const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNRESET');
    expect(proxy.stats.reset).toBe(2);

    proxy.setMode({ kind: 'pass' });
    const after = await dial();
    after.socket.write('ok');
    expect(await after.receive(2)).toBe('ok');
  });

  it('resets the client when the upstream is unreachable', async () => {
    const closed = net.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = await startTcpProxy({ host: '127.0.0.1', port });
    try {
      const c = await dial(nowhere.port);
      expect(await c.ended).toBe('ECONNRESET');
    } finally {
      await nowhere.close();
    }
  });
});
