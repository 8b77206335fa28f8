import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, DeadlineExceededError, UnavailableError } from '@clinote/shared/errors.js';
import { cosine } from './embedder.js';
import { OpenAiEmbedder } from './openai-embedder.js';

type Behaviour = 'ok' | 'error500' | 'error429' | 'hang' | 'short';

/** A fake OpenAI-compatible /embeddings endpoint; the test picks how it behaves. */
describe('OpenAiEmbedder', () => {
  let server: Server;
  let baseURL: string;
  let behaviour: Behaviour = 'ok';
  const requests: { model: string; input: string[]; dimensions?: number; authorization?: string }[] = [];
  const hanging: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const parsed = JSON.parse(body) as { model: string; input: string[]; dimensions?: number };
        requests.push({ ...parsed, authorization: req.headers.authorization });
        if (behaviour === 'hang') {
          hanging.push(res);
          return;
        }
        if (behaviour === 'error500' || behaviour === 'error429') {
          res.writeHead(behaviour === 'error500' ? 500 : 429, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `echo: ${parsed.input.join(' ')}`, type: 'server_error' } }));
          return;
        }
        const dims = parsed.dimensions ?? 8;
        const data = parsed.input.map((text, index) => ({
          object: 'embedding',
          index,
          embedding: Array.from({ length: dims }, (_, i) => (i === text.length % dims ? 3 : 0)),
        }));
        // Out of order on purpose: the client must place vectors by index.
        data.reverse();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', model: parsed.model, data: behaviour === 'short' ? data.slice(1) : data, usage: { prompt_tokens: 1, total_tokens: 1 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  afterAll(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const embedder = (): OpenAiEmbedder =>
    new OpenAiEmbedder({ apiKey: 'test-key', baseURL, model: 'fake-embed', dimensions: 8, maxRetries: 0 });

  it('embeds a batch in order, unit length, with the requested dimensions', async () => {
    behaviour = 'ok';
    const vectors = await embedder().embed(['a', 'bb', 'ccc'], { deadline: new Date(Date.now() + 5_000) });
    expect(vectors).toHaveLength(3);
    expect(vectors.map((v) => v.indexOf(1))).toEqual([1, 2, 3]);
    for (const v of vectors) expect(cosine(v, v)).toBeCloseTo(1, 6);
    expect(requests.at(-1)).toMatchObject({ model: 'fake-embed', input: ['a', 'bb', 'ccc'], dimensions: 8, authorization: 'Bearer test-key' });
  });

  it('knows the identity of its vector space', () => {
    const e = embedder();
    expect([e.model, e.dimensions, e.version]).toEqual(['fake-embed', 8, '1.8']);
    expect(new OpenAiEmbedder({ apiKey: 'k', model: 'text-embedding-3-small' }).dimensions).toBe(1536);
    expect(() => new OpenAiEmbedder({ apiKey: 'k', model: 'unknown-model' })).toThrow(RangeError);
  });

  it.each([
    ['error500', UnavailableError],
    ['error429', UnavailableError],
    ['short', UnavailableError],
  ] as const)('maps %s to a typed error without echoing the text', async (mode, type) => {
    behaviour = mode;
    const error = await embedder()
      .embed(['secret patient words', 'more'], {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect(String((error as Error).message)).not.toContain('secret');
  });

  it('stops at the caller deadline', async () => {
    behaviour = 'hang';
    const started = performance.now();
    await expect(embedder().embed(['x'], { deadline: new Date(Date.now() + 100) })).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(embedder().embed(['x'], { deadline: new Date(Date.now() - 1) })).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('stops when the caller cancels', async () => {
    behaviour = 'hang';
    const controller = new AbortController();
    const before = hanging.length;
    const pending = embedder().embed(['x'], { signal: controller.signal });
    await new Promise<void>((resolve) => {
      const tick = (): void => (hanging.length > before ? resolve() : void setImmediate(tick));
      tick();
    });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
  });
});
