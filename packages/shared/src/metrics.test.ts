import { SpanKind, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admission, AdmissionRefusedError } from './admission.js';
import { RPC_REQUESTS, parseLabels, prometheusFromEnvironment, sampleValue, serveMetrics, type MetricsEndpoint } from './metrics.js';
import { initTelemetry, type Telemetry } from './telemetry.js';

let telemetry: Telemetry;
let endpoint: MetricsEndpoint;

beforeAll(async () => {
  const prometheus = prometheusFromEnvironment({ METRICS_PORT: '0' })!;
  telemetry = initTelemetry({ serviceName: 'clinote-metrics-test', metricReaders: [prometheus.reader] });
  endpoint = await serveMetrics(prometheus.exporter, 0, '127.0.0.1');
});

afterAll(async () => {
  await endpoint?.close();
  await telemetry?.shutdown();
});

const scrape = async (path = '/metrics') => {
  const res = await fetch(`http://127.0.0.1:${endpoint.port}${path}`);
  return { status: res.status, text: await res.text() };
};

function serverCall(method: string, code: number): void {
  const span = trace.getTracer('t').startSpan(method, { kind: SpanKind.SERVER, attributes: { 'rpc.method': method } });
  span.setAttribute('rpc.grpc.status_code', code);
  span.end();
}

describe('the /metrics endpoint', () => {
  it('is off without METRICS_PORT', () => {
    expect(prometheusFromEnvironment({})).toBeUndefined();
  });

  it('counts server calls by method and status from their spans, and times them', async () => {
    serverCall('Extract', 0);
    serverCall('Extract', 0);
    serverCall('Extract', 14);
    serverCall('SelectContext', 0);
    // Not a server span: not a call this process answered.
    trace.getTracer('t').startSpan('Extract', { kind: SpanKind.CLIENT, attributes: { 'rpc.method': 'Extract', 'rpc.grpc.status_code': 0 } }).end();
    const { status, text } = await scrape();
    expect(status).toBe(200);
    expect(sampleValue(text, RPC_REQUESTS, { rpc_method: 'Extract', grpc_status: 'OK' })).toBe(2);
    expect(sampleValue(text, RPC_REQUESTS, { rpc_method: 'Extract', grpc_status: 'UNAVAILABLE' })).toBe(1);
    expect(sampleValue(text, RPC_REQUESTS, { rpc_method: 'SelectContext' })).toBe(1);
    expect(sampleValue(text, 'clinote_rpc_server_duration_ms_count', { rpc_method: 'Extract' })).toBe(3);
    expect(text).toContain('# TYPE clinote_rpc_server_duration_ms histogram');
  });

  it('shows calls in flight and calls shed at capacity', async () => {
    const admission = new Admission(1);
    let release!: () => void;
    const held = admission.run(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(admission.run(async () => undefined)).rejects.toBeInstanceOf(AdmissionRefusedError);
    const during = (await scrape()).text;
    expect(sampleValue(during, 'clinote_rpc_server_in_flight')).toBe(1);
    expect(sampleValue(during, 'clinote_rpc_server_shed_total')).toBe(1);
    release();
    await held;
    expect(sampleValue((await scrape()).text, 'clinote_rpc_server_in_flight')).toBe(0);
  });

  it('answers nothing but GET /metrics', async () => {
    expect((await scrape('/')).status).toBe(404);
  });
});

describe('parseLabels', () => {
  it('reads names and quoted values, escapes kept, and ends on unterminated text', () => {
    expect(parseLabels('rpc_method="Extract",grpc_status="OK"')).toEqual({ rpc_method: 'Extract', grpc_status: 'OK' });
    expect(parseLabels('a="x\\"y", b="z"')).toEqual({ a: 'x\\"y', b: 'z' });
    expect(parseLabels('')).toEqual({});
    expect(parseLabels('a'.repeat(1_000))).toEqual({});
    expect(parseLabels('a="unterminated')).toEqual({ a: 'unterminated' });
  });
});
