// A scripted OpenAI-compatible HTTP server for tests: POST /v1/chat/completions answers from a
// script and records every request; POST /v1/embeddings returns deterministic bag-of-words vectors.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeChatReply =
  /** A completion whose message content is JSON.stringify(body). */
  | { kind: 'json'; body: unknown; usage?: FakeUsage }
  /** A completion with raw content (for invalid JSON). */
  | { kind: 'content'; content: string; usage?: FakeUsage }
  | { kind: 'refusal'; refusal: string }
  /** An HTTP error (429, 500, ...). */
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** Never answers: the client must time out. */
  | { kind: 'hang' };

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface RecordedChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema: unknown } };
  body: Record<string, unknown>;
}

export interface FakeOpenAiScript {
  /** Replies in order (any model), or a function of the request and its index. Past the end: 500. */
  chat?: FakeChatReply[] | ((request: RecordedChatRequest, index: number) => FakeChatReply);
  /** Embedding size; 64 by default. */
  embeddingDimensions?: number;
}

export interface FakeOpenAi {
  /** Base URL for the OpenAI client, ending in /v1. */
  baseURL: string;
  chatRequests: RecordedChatRequest[];
  embeddingRequests: Array<{ model: string; input: string[] }>;
  close(): Promise<void>;
}

const DEFAULT_USAGE: FakeUsage = { prompt_tokens: 1000, completion_tokens: 200 };

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function hashToken(token: string): number {
  let h = 2166136261;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** Hashed bag of words, L2-normalised: similar texts get similar vectors, and the same text the same one. */
export function fakeEmbedding(text: string, dimensions = 64): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const token of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    const h = hashToken(token);
    v[h % dimensions]! += (h & 0x100) === 0 ? 1 : -1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

function completion(model: string, message: Record<string, unknown>, usage: FakeUsage) {
  return {
    id: `chatcmpl-fake-${Date.now()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, finish_reason: 'stop', logprobs: null }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

/** Starts the fake on 127.0.0.1, port 0. Close it in afterEach/afterAll. */
export async function startFakeOpenAi(script: FakeOpenAiScript = {}): Promise<FakeOpenAi> {
  const chatRequests: RecordedChatRequest[] = [];
  const embeddingRequests: FakeOpenAi['embeddingRequests'] = [];
  const dims = script.embeddingDimensions ?? 64;

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readJson(req);
      if (req.method === 'POST' && req.url === '/v1/chat/completions') {
        const request: RecordedChatRequest = {
          model: String(body['model']),
          messages: body['messages'] as RecordedChatRequest['messages'],
          response_format: body['response_format'] as RecordedChatRequest['response_format'],
          body,
        };
        const index = chatRequests.length;
        chatRequests.push(request);
        const reply: FakeChatReply | undefined =
          typeof script.chat === 'function' ? script.chat(request, index) : script.chat?.[index];
        if (!reply) return send(res, 500, { error: { message: 'fake: script exhausted', type: 'server_error' } }, { 'retry-after-ms': '1' });
        switch (reply.kind) {
          case 'json':
            return send(res, 200, completion(request.model, { content: JSON.stringify(reply.body) }, reply.usage ?? DEFAULT_USAGE));
          case 'content':
            return send(res, 200, completion(request.model, { content: reply.content }, reply.usage ?? DEFAULT_USAGE));
          case 'refusal':
            return send(res, 200, completion(request.model, { content: null, refusal: reply.refusal }, DEFAULT_USAGE));
          case 'status':
            return send(res, reply.status, { error: { message: `fake status ${reply.status}`, type: 'fake_error' } }, { 'retry-after-ms': '1', ...reply.headers });
          case 'hang':
            return; // the socket stays open until the client gives up or the server closes
        }
      }
      if (req.method === 'POST' && req.url === '/v1/embeddings') {
        const raw = body['input'];
        const input = (Array.isArray(raw) ? raw : [raw]).map(String);
        embeddingRequests.push({ model: String(body['model']), input });
        const base64 = body['encoding_format'] === 'base64';
        const data = input.map((text, index) => {
          const vector = fakeEmbedding(text, dims);
          const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
          return { object: 'embedding', index, embedding };
        });
        const tokens = input.reduce((n, t) => n + (t.match(/\S+/g)?.length ?? 0), 0);
        return send(res, 200, { object: 'list', data, model: String(body['model']), usage: { prompt_tokens: tokens, total_tokens: tokens } });
      }
      return send(res, 404, { error: { message: 'fake: unknown route', type: 'not_found' } });
    })().catch(() => send(res, 400, { error: { message: 'fake: bad request', type: 'invalid_request_error' } }));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    chatRequests,
    embeddingRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
