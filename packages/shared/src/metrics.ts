// Prometheus metrics: the OpenTelemetry SDK's meters read by @opentelemetry/exporter-prometheus and
// served at /metrics on a port of its own (METRICS_PORT), apart from the gRPC listener. Request
// counts and durations come from the server spans every call already has (one place, every
// service), so handlers need no metrics code of their own. Labels hold method names and status
// codes only, never anything of a call's content.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, metrics, type Counter, type Histogram } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** grpc.status names by code (not imported from grpc-js: this module loads before it). */
const GRPC_CODES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

export const RPC_REQUESTS = 'clinote_rpc_server_requests_total';
export const RPC_DURATION = 'clinote_rpc_server_duration_ms';

/**
 * Counts every ended server span by method and status, and records its duration: the RED metrics
 * of every gRPC call a service answers.
 */
export class RpcMetricsSpanProcessor implements SpanProcessor {
  private instruments: { requests: Counter; duration: Histogram } | undefined;

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (span.kind !== SpanKind.SERVER) return;
    const method = span.attributes['rpc.method'];
    if (typeof method !== 'string') return;
    const code = span.attributes['rpc.grpc.status_code'];
    const labels = { rpc_method: method, grpc_status: typeof code === 'number' ? (GRPC_CODES[code] ?? String(code)) : 'UNKNOWN' };
    // Created on first use: the global meter provider is installed after this processor.
    this.instruments ??= {
      requests: metrics.getMeter('clinote-rpc').createCounter(RPC_REQUESTS.replace(/_total$/, ''), { description: 'gRPC calls answered, by method and status' }),
      duration: metrics.getMeter('clinote-rpc').createHistogram(RPC_DURATION, {
        description: 'gRPC call duration, by method and status',
        unit: 'ms',
        advice: { explicitBucketBoundaries: [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] },
      }),
    };
    this.instruments.requests.add(1, labels);
    this.instruments.duration.record(hrTimeToMilliseconds(span.duration), labels);
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

/** The reader the /metrics endpoint serves, as the meter provider takes it. */
export interface PrometheusReader {
  exporter: PrometheusExporter;
  /**
   * The same object typed as this package's MetricReader: the exporter pins its own patch release
   * of @opentelemetry/sdk-metrics, whose class differs only in private fields.
   */
  reader: MetricReader;
}

/** With METRICS_PORT set, the reader that the /metrics endpoint serves (not started: serveMetrics does). */
export function prometheusFromEnvironment(env: NodeJS.ProcessEnv = process.env): PrometheusReader | undefined {
  if (env.METRICS_PORT === undefined || env.METRICS_PORT === '') return undefined;
  const exporter = new PrometheusExporter({ preventServerStart: true });
  return { exporter, reader: exporter as unknown as MetricReader };
}

export interface MetricsEndpoint {
  port: number;
  close(): Promise<void>;
}

/** GET /metrics in the Prometheus text format; everything else 404. */
export async function serveMetrics(reader: PrometheusExporter, port: number, host = '0.0.0.0'): Promise<MetricsEndpoint> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') reader.getMetricsRequestHandler(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One sample of `name` with these labels from a Prometheus text exposition (0 when absent). */
export function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const brace = line.indexOf('{');
    const labelText = brace >= 0 ? line.slice(brace + 1, line.lastIndexOf('}')) : '';
    const have = parseLabels(labelText);
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** `a="x",b="y\"z"` as { a: 'x', b: 'y\"z' } (values as written, escapes kept), by a scan: no regex to backtrack. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('="', i);
    if (eq < 0) break;
    const name = text.slice(i, eq).replace(/^[\s,]+/, '');
    let j = eq + 2;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    labels[name] = text.slice(eq + 2, j);
    i = j + 1;
  }
  return labels;
}

export const DB_POOL_CONNECTIONS = 'clinote_db_pool_connections';

/** What the pool gauge reads of an ORM: MikroORM's knex, whose tarn pool counts its connections. */
interface KnexBacked {
  em: { getConnection(): { getKnex(): unknown } };
}
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max?: number;
}

const watchedPools = new Set<{ name: string; orm: WeakRef<KnexBacked> }>();
let poolGauge: ReturnType<ReturnType<typeof metrics.getMeter>['createObservableGauge']> | undefined;

/**
 * Database pool usage as clinote_db_pool_connections{pool, state=used|free|pending|max}. The ORM is
 * held weakly and read only while its pool exists, so a closed one simply stops reporting.
 */
export function observeDatabasePool(orm: KnexBacked, name: string): void {
  watchedPools.add({ name, orm: new WeakRef(orm) });
  if (poolGauge) return;
  poolGauge = metrics.getMeter('clinote-db').createObservableGauge(DB_POOL_CONNECTIONS, { description: 'Database pool connections by state (pending: callers waiting for one)' });
  poolGauge.addCallback((result) => {
    for (const watched of watchedPools) {
      const orm = watched.orm.deref();
      let pool: TarnPool | undefined;
      try {
        pool = (orm?.em.getConnection().getKnex() as { client?: { pool?: TarnPool } } | undefined)?.client?.pool;
      } catch {
        pool = undefined;
      }
      if (!orm || !pool || typeof pool.numUsed !== 'function') {
        if (!orm) watchedPools.delete(watched);
        continue;
      }
      result.observe(pool.numUsed(), { pool: watched.name, state: 'used' });
      result.observe(pool.numFree(), { pool: watched.name, state: 'free' });
      result.observe(pool.numPendingAcquires(), { pool: watched.name, state: 'pending' });
      if (typeof pool.max === 'number') result.observe(pool.max, { pool: watched.name, state: 'max' });
    }
  });
}
