// An OpenAI-compatible endpoint that answers at once (or after --delay-ms), for `pnpm bench load`:
// the cost of the mesh around an LLM without the LLM. Not the tests' scripted fake: it answers every
// chat request with the smallest object valid under the request's JSON schema, each quote a verbatim
// passage of the transcript (so the extractor grounds it), and /v1/embeddings with deterministic unit
// vectors of the requested size (float lists, or base64 as the openai SDK asks by default).
//   node --import tsx scripts/lib/instant-llm.ts [--port 0] [--delay-ms 0]
// Prints {"msg":"instant-llm listening","port":P} once listening.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[] };

const DEFAULT_DIMENSIONS = 1536;
const SPEAKER_TAG = /^\s*(?:\[[a-z_ ]{2,30}\]|(?:doctor|patient|dr|pt|clinician|speaker \d)\s*:)\s*/i;

/** A short verbatim passage of the transcript in the last user message: the first line of four words or more, speaker tag cut. */
export function quoteOfTranscript(messages: ReadonlyArray<{ role?: string; content?: unknown }>): string {
  const user = [...messages].reverse().find((m) => m.role === 'user' && typeof m.content === 'string');
  const text = String(user?.content ?? '');
  const open = text.lastIndexOf('<transcript>\n');
  const close = text.lastIndexOf('\n</transcript>');
  const transcript = open >= 0 && close > open ? text.slice(open + '<transcript>\n'.length, close) : text;
  for (const line of transcript.split('\n')) {
    const words = line.replace(SPEAKER_TAG, '').trim().split(/\s+/).filter(Boolean);
    if (words.length >= 4) return words.slice(0, 8).join(' ');
  }
  return '';
}

const typesOf = (s: Schema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

/**
 * The smallest object valid under a strict schema as sop-schema.ts builds them: every property present,
 * strings the quote (or the first allowed enum value), numbers null, one list item, quotes [quote].
 */
export function answerForSchema(schema: Schema, quote: string, key = ''): unknown {
  const types = typesOf(schema);
  if (key === 'evidence_quotes') return quote ? [quote] : [];
  if (types.includes('object')) {
    const value = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, answerForSchema(s, quote, k)]));
    // A null value has no evidence, as the extractor's prompt asks.
    if (value.value === null && Array.isArray(value.evidence_quotes)) value.evidence_quotes = [];
    return value;
  }
  if (types.includes('array')) return schema.items ? [answerForSchema(schema.items, quote)] : [];
  if (schema.enum) return schema.enum.find((v) => v !== null) ?? null;
  if (types.includes('string')) return types.includes('null') && !quote ? null : quote || '';
  if (types.includes('null')) return null;
  if (types.includes('number') || types.includes('integer')) return 0;
  if (types.includes('boolean')) return false;
  return null;
}

/** A deterministic unit vector for a text (FNV-1a seeded xorshift). */
export function vectorFor(text: string, dimensions: number): Float32Array {
  let seed = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) seed = Math.imul(seed ^ text.charCodeAt(i), 0x01000193) >>> 0;
  const v = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    v[i] = seed / 0xffffffff - 0.5;
    norm += v[i]! * v[i]!;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dimensions; i++) v[i]! *= scale;
  return v;
}

const roughTokens = (s: string) => Math.ceil(s.length / 4);

function chatAnswer(body: Record<string, unknown>): unknown {
  const messages = (body.messages ?? []) as Array<{ role?: string; content?: unknown }>;
  const format = body.response_format as { json_schema?: { schema?: Schema } } | undefined;
  const content = JSON.stringify(format?.json_schema?.schema ? answerForSchema(format.json_schema.schema, quoteOfTranscript(messages)) : {});
  const promptTokens = messages.reduce((n, m) => n + roughTokens(String(m.content ?? '')), 0);
  const completionTokens = roughTokens(content);
  return {
    id: `chatcmpl-instant-${Date.now().toString(36)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(body.model ?? 'instant'),
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

function embeddingsAnswer(body: Record<string, unknown>): unknown {
  const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input ?? '')];
  const dimensions = Number.isInteger(body.dimensions) && Number(body.dimensions) > 0 ? Number(body.dimensions) : DEFAULT_DIMENSIONS;
  const base64 = body.encoding_format === 'base64';
  const tokens = inputs.reduce((n, s) => n + roughTokens(s), 0);
  return {
    object: 'list',
    model: String(body.model ?? 'instant'),
    data: inputs.map((text, index) => {
      const v = vectorFor(text, dimensions);
      return { object: 'embedding', index, embedding: base64 ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v) };
    }),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function send(res: ServerResponse, code: number, value: unknown): void {
  const payload = JSON.stringify(value);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function handle(req: IncomingMessage, res: ServerResponse, delayMs: number): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    return send(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
  }
  let route = (req.url ?? '').split('?')[0]!;
  while (route.endsWith('/')) route = route.slice(0, -1);
  if (req.method !== 'POST' || !(route.endsWith('/chat/completions') || route.endsWith('/embeddings'))) {
    return send(res, 404, { error: { message: `no route ${req.method} ${route}`, type: 'invalid_request_error' } });
  }
  if (delayMs > 0) await delay(delayMs);
  send(res, 200, route.endsWith('/embeddings') ? embeddingsAnswer(body) : chatAnswer(body));
}

export interface InstantLlm {
  server: Server;
  port: number;
  /** The OPENAI_BASE_URL to give a client. */
  baseUrl: string;
  close(): Promise<void>;
}

export async function startInstantLlm(options: { port?: number; delayMs?: number } = {}): Promise<InstantLlm> {
  const delayMs = options.delayMs ?? 0;
  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res, delayMs).catch(() => {
      if (!res.headersSent) send(res, 500, { error: { message: 'internal error', type: 'server_error' } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { port: { type: 'string', default: '0' }, 'delay-ms': { type: 'string', default: '0' } },
  });
  const llm = await startInstantLlm({ port: Number(values.port), delayMs: Number(values['delay-ms']) });
  process.stdout.write(`${JSON.stringify({ msg: 'instant-llm listening', port: llm.port, delayMs: Number(values['delay-ms']) })}\n`);
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => void llm.close().then(() => process.exit(0)));
}
