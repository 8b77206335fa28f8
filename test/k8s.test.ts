// deploy/k8s, checked offline: `kubectl kustomize` renders each overlay, every rendered object
// validates against kubernetes-models' schema for its apiVersion and kind (cert-manager's from
// @kubernetes-models/cert-manager), and the invariants the platform relies on hold. Each
// Deployment's environment (its ConfigMaps in envFrom order, Secrets as placeholders) must pass
// that service's own config validation, and every file it names must lie in a volume it mounts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig as contextConfig } from '@clinote/context/config.js';
import { loadConfig as embeddingConfig } from '@clinote/embedding/config.js';
import { loadConfig as extractionConfig } from '@clinote/extraction/config.js';
import { loadConfig as gatewayConfig } from '@clinote/gateway/config.js';
import { DB_POOL_CONNECTIONS, RPC_DURATION, RPC_REQUESTS } from '@clinote/shared/metrics.js';
import { ROOT } from './support/grpc.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };

const SERVICES = ['gateway', 'context', 'embedding', 'extraction'] as const;
const INTERNAL = ['context', 'embedding', 'extraction'] as const;
const loaders = { gateway: gatewayConfig, context: contextConfig, embedding: embeddingConfig, extraction: extractionConfig };
const OVERLAYS = {
  dev: { namespace: 'clinote-dev', minReplicas: 1, maxReplicas: 2, mtls: false },
  prod: { namespace: 'clinote', minReplicas: 3, maxReplicas: 10, mtls: true },
} as const;

function render(overlay: string): Obj[] {
  const out = execFileSync('kubectl', ['kustomize', path.join(ROOT, 'deploy', 'k8s', 'overlays', overlay)], { encoding: 'utf8', timeout: 60_000 });
  return parseAllDocuments(out).map((d) => {
    if (d.errors.length > 0) throw d.errors[0];
    return d.toJS() as Obj;
  });
}

/** The kubernetes-models class for an object's apiVersion and kind. */
async function modelFor(obj: Obj): Promise<new (o: unknown) => { validate(): void }> {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const module = group === 'cert-manager.io' ? `@kubernetes-models/cert-manager/cert-manager.io/${version}` : `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  const models = (await import(module)) as Record<string, new (o: unknown) => { validate(): void }>;
  const model = models[obj.kind];
  if (!model) throw new Error(`no model for ${obj.apiVersion} ${obj.kind}`);
  return model;
}

const of = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: Obj[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Placeholders for what the Secrets hold: shapes the config schemas accept, never real values. */
const SECRET_PLACEHOLDERS: Record<string, string> = {
  DATABASE_URL: 'postgresql://svc:placeholder@db.invalid:5432/clinote',
  DATABASE_MIGRATION_URL: 'postgresql://migrator:placeholder@db.invalid:5432/clinote',
  REDIS_URL: 'redis://redis.invalid:6379',
  OPENAI_API_KEY: 'placeholder',
};

/** The environment a Deployment's container starts with, and the paths it mounts. */
function containerEnv(objects: Obj[], deployment: Obj): { env: NodeJS.ProcessEnv; mounts: string[]; secretRefs: string[] } {
  const container = deployment.spec.template.spec.containers[0];
  const env: NodeJS.ProcessEnv = {};
  for (const source of container.envFrom ?? []) Object.assign(env, named(objects, 'ConfigMap', source.configMapRef.name).data);
  const secretRefs: string[] = [];
  for (const e of container.env ?? []) {
    if (e.valueFrom?.secretKeyRef) {
      secretRefs.push(e.valueFrom.secretKeyRef.name);
      env[e.name] = SECRET_PLACEHOLDERS[e.name] ?? 'placeholder';
    } else env[e.name] = e.value;
  }
  for (const v of deployment.spec.template.spec.volumes ?? []) if (v.secret) secretRefs.push(v.secret.secretName);
  return { env, mounts: (container.volumeMounts ?? []).map((m: { mountPath: string }) => m.mountPath), secretRefs };
}

for (const [overlay, expected] of Object.entries(OVERLAYS)) {
  describe(`deploy/k8s/overlays/${overlay}`, () => {
    const objects = render(overlay);

    it('renders, and every object validates against the schema of its apiVersion and kind', async () => {
      const counts: Record<string, number> = {};
      for (const obj of objects) {
        counts[obj.kind] = (counts[obj.kind] ?? 0) + 1;
        const Model = await modelFor(obj);
        expect(() => new Model(obj).validate(), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
        if (obj.kind !== 'Namespace') expect(obj.metadata.namespace, `${obj.kind} ${obj.metadata.name}`).toBe(expected.namespace);
        expect(obj.metadata.labels?.['app.kubernetes.io/part-of'], `${obj.kind} ${obj.metadata.name}`).toBe('clinote');
      }
      process.stdout.write(`k8s ${overlay}: ${objects.length} objects ${JSON.stringify(counts)}\n`);
      // Secrets are referenced, never committed.
      expect(counts.Secret).toBeUndefined();
      expect(counts.Deployment).toBe(4);
    });

    it('hardens every Deployment: limits, non-root, read-only root, no capabilities, RuntimeDefault seccomp, a writable /tmp only', () => {
      expect(of(objects, 'Deployment').map((d) => d.metadata.name).sort()).toEqual([...SERVICES].sort());
      for (const d of of(objects, 'Deployment')) {
        const pod = d.spec.template.spec;
        expect(pod.securityContext.runAsNonRoot, d.metadata.name).toBe(true);
        expect(pod.securityContext.runAsUser, d.metadata.name).toBeGreaterThan(0);
        expect(pod.securityContext.seccompProfile.type, d.metadata.name).toBe('RuntimeDefault');
        expect(pod.automountServiceAccountToken, d.metadata.name).toBe(false);
        for (const c of pod.containers) {
          for (const kind of ['requests', 'limits']) {
            expect(c.resources[kind].cpu, `${d.metadata.name} ${kind}`).toBeDefined();
            expect(c.resources[kind].memory, `${d.metadata.name} ${kind}`).toBeDefined();
          }
          expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
          const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
          expect(pod.volumes.find((v: { name: string }) => v.name === tmp?.name)?.emptyDir, d.metadata.name).toBeDefined();
          // Everything else it mounts is read-only.
          for (const m of c.volumeMounts) if (m.mountPath !== '/tmp') expect(m.readOnly, `${d.metadata.name} ${m.mountPath}`).toBe(true);
        }
        const hosts = pod.topologySpreadConstraints.map((t: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }) => {
          expect(matches(t.labelSelector.matchLabels, pod.containers && d.spec.template.metadata.labels)).toBe(true);
          return t.topologyKey;
        });
        expect(hosts).toContain('kubernetes.io/hostname');
      }
    });

    it('probes every Deployment with native gRPC probes on the health port, and gives the drain time to finish', () => {
      for (const d of of(objects, 'Deployment')) {
        const pod = d.spec.template.spec;
        const c = pod.containers[0];
        const { env } = containerEnv(objects, d);
        const healthPort = Number(env.HEALTH_PORT);
        expect(c.ports.find((p: { name: string }) => p.name === 'health')?.containerPort, d.metadata.name).toBe(healthPort);
        for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) expect(c[probe]?.grpc?.port, `${d.metadata.name} ${probe}`).toBe(healthPort);
        expect(c.ports.find((p: { name: string }) => p.name === 'metrics')?.containerPort).toBe(Number(env.METRICS_PORT));
        const preStopMs = (c.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
        expect(pod.terminationGracePeriodSeconds * 1000, d.metadata.name).toBeGreaterThan(Number(env.SHUTDOWN_GRACE_MS) + preStopMs);
        expect(c.args, d.metadata.name).toEqual([`services/${d.metadata.name}/src/main.js`]);
      }
    });

    it("gives each service an environment its own config accepts, with every file it names in a volume it mounts", () => {
      for (const d of of(objects, 'Deployment')) {
        const name = d.metadata.name as (typeof SERVICES)[number];
        const { env, mounts } = containerEnv(objects, d);
        expect(() => loaders[name](env), name).not.toThrow();
        for (const [key, value] of Object.entries(env)) {
          if (value?.startsWith('/secrets/')) expect(mounts.some((m) => value.startsWith(`${m}/`)), `${name} ${key}=${value}`).toBe(true);
        }
        // Every variable set is one the service reads: no typo passes unnoticed as an ignored key.
        const readers = [`services/${name}/src/config.ts`, 'packages/shared/src/config.ts', 'packages/shared/src/ops-endpoints.ts', 'packages/shared/src/telemetry.ts']
          .map((f) => readFileSync(path.join(ROOT, f), 'utf8'))
          .join('\n');
        for (const key of Object.keys(env)) expect(key === 'NODE_ENV' || new RegExp(`\\b${key}\\b`).test(readers), `${name} ${key}`).toBe(true);
        const tls = ['GRPC_TLS_CA', 'GRPC_TLS_CERT', 'GRPC_TLS_KEY'].filter((k) => env[k]);
        expect(tls.length, name).toBe(expected.mtls ? 3 : 0);
      }
      const gateway = containerEnv(objects, named(objects, 'Deployment', 'gateway')).env;
      expect(gatewayConfig(gateway).AUTH_MODE).toBe('jwt');
    });

    it('reaches each internal service through a headless Service, for client-side round_robin over its pods', () => {
      const gateway = containerEnv(objects, named(objects, 'Deployment', 'gateway')).env;
      for (const name of INTERNAL) {
        expect(gateway[`${name.toUpperCase()}_ADDR`]).toBe(`dns:///${name}-headless:50051`);
        const svc = named(objects, 'Service', `${name}-headless`);
        expect(svc.spec.clusterIP).toBe('None');
        expect(svc.spec.ports.map((p: { port: number }) => p.port)).toEqual([50051]);
        expect(matches(svc.spec.selector, named(objects, 'Deployment', name).spec.template.metadata.labels)).toBe(true);
      }
      // No Service balances an internal service's gRPC port through a ClusterIP.
      for (const svc of of(objects, 'Service')) {
        const selects = INTERNAL.filter((n) => matches(svc.spec.selector, named(objects, 'Deployment', n).spec.template.metadata.labels));
        if (selects.length > 0) expect(svc.spec.clusterIP, svc.metadata.name).toBe('None');
      }
    });

    it('scales every service by CPU between the overlay\'s bounds, with a PodDisruptionBudget that lets one pod go at a time', () => {
      for (const name of SERVICES) {
        const hpa = named(objects, 'HorizontalPodAutoscaler', name);
        expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
        expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
        expect(hpa.spec.minReplicas, name).toBeGreaterThanOrEqual(expected.minReplicas);
        expect(hpa.spec.maxReplicas, name).toBeGreaterThanOrEqual(expected.maxReplicas);
        expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
        const pdb = named(objects, 'PodDisruptionBudget', name);
        expect(matches(pdb.spec.selector.matchLabels, named(objects, 'Deployment', name).spec.template.metadata.labels)).toBe(true);
        expect(pdb.spec.maxUnavailable).toBe(1);
      }
    });

    it('denies all traffic by default; only the gateway reaches the internal services, only the services reach Postgres and Redis', () => {
      const policies = of(objects, 'NetworkPolicy');
      const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress && !p.spec.egress);
      expect(deny?.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
      const podLabels = Object.fromEntries(SERVICES.map((n) => [n, named(objects, 'Deployment', n).spec.template.metadata.labels as Record<string, string>]));
      const selects = (p: Obj, n: string) =>
        matches(p.spec.podSelector.matchLabels ?? {}, podLabels[n]!) &&
        (p.spec.podSelector.matchExpressions ?? []).every((e: { key: string; values: string[] }) => e.values.includes(podLabels[n]![e.key]!));
      for (const name of INTERNAL) {
        // Every rule letting anything into an internal service's gRPC port names the gateway's pods alone.
        const rules = policies.filter((p) => selects(p, name)).flatMap((p) => p.spec.ingress ?? []);
        const grpc = rules.filter((r: { ports?: { port: number }[] }) => !r.ports || r.ports.some((p) => p.port === 50051));
        expect(grpc.length, name).toBeGreaterThan(0);
        for (const r of grpc) {
          expect(r.from, name).toHaveLength(1);
          expect(r.from[0].namespaceSelector).toBeUndefined();
          expect(matches(r.from[0].podSelector.matchLabels, podLabels.gateway!), name).toBe(true);
        }
      }
      // Egress to the datastores' ports only from policies selecting the services' own pods.
      for (const p of policies) {
        const datastore = (p.spec.egress ?? []).some((r: { ports?: { port: number }[] }) => r.ports?.some((x) => x.port === 5432 || x.port === 6379));
        if (!datastore) continue;
        expect(p.spec.podSelector.matchLabels?.['clinote.io/datastore-client'], p.metadata.name).toBe('true');
        for (const r of p.spec.egress) expect(r.to.every((t: { ipBlock?: { cidr: string } }) => t.ipBlock?.cidr !== '0.0.0.0/0'), p.metadata.name).toBe(true);
      }
      for (const name of SERVICES) expect(podLabels[name]!['clinote.io/datastore-client'], name).toBe('true');
      // The base's documentation addresses never reach an overlay.
      expect(JSON.stringify(policies)).not.toContain('192.0.2.');
    });

    if (expected.mtls) {
      it('issues each service its internal mTLS certificate with cert-manager, for the names it is dialled by', () => {
        const certificates = of(objects, 'Certificate');
        const peers = (name: string) => containerEnv(objects, named(objects, 'Deployment', name)).env.GRPC_TLS_ALLOWED_PEERS?.split(',');
        for (const name of SERVICES) {
          const { secretRefs } = containerEnv(objects, named(objects, 'Deployment', name));
          const cert = certificates.find((c) => c.spec.secretName === `${name}-tls`);
          expect(cert, name).toBeDefined();
          expect(secretRefs).toContain(`${name}-tls`);
          expect(cert!.spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
          const issuer = named(objects, cert!.spec.issuerRef.kind, cert!.spec.issuerRef.name);
          expect(issuer.spec.ca?.secretName).toBeDefined();
          if (name === 'gateway') {
            expect(cert!.spec.commonName).toBe('gateway');
            for (const peer of INTERNAL) expect(peers(peer)).toContain(cert!.spec.commonName);
          } else {
            expect(cert!.spec.dnsNames).toContain(`${name}-headless`);
          }
        }
        const publicCert = certificates.find((c) => c.spec.secretName === 'gateway-public-tls');
        expect(containerEnv(objects, named(objects, 'Deployment', 'gateway')).secretRefs).toContain(publicCert?.spec.secretName);
      });
    }
  });
}

describe('deploy/grafana/clinote-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'grafana', 'clinote-dashboard.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const documented = new Set([...readme.slice(readme.indexOf('### Metrics')).matchAll(/`((?:clinote|embedding)_[a-z_]+)`/g)].map((m) => m[1]!));
  const source = [path.join(ROOT, 'packages'), path.join(ROOT, 'services')]
    .flatMap((dir) => execFileSync('grep', ['-rhoE', "create(Counter|Histogram|UpDownCounter|ObservableGauge)\\([A-Za-z_'.(/$,)]+", '--include=*.ts', '--exclude=*.test.ts', dir], { encoding: 'utf8' }).split('\n'))
    .join('\n');
  /** A series name as the exporter writes it, back to the instrument it comes from. */
  const instrument = (series: string) => series.replace(/_(bucket|count|sum)$/, '');

  it('charts only documented metrics that the code defines', () => {
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b((?:clinote|embedding)_[a-z_]+)\b/g)].map((m) => instrument(m[1]!)))));
    expect(used.size).toBeGreaterThanOrEqual(10);
    for (const name of used) {
      expect(documented.has(name), `${name} in README`).toBe(true);
      // Counters may be created without the _total the exporter appends (metrics.ts names them by constant).
      const defined = source.includes(`'${name}'`) || source.includes(`'${name.replace(/_total$/, '')}'`) || [RPC_REQUESTS, RPC_DURATION, DB_POOL_CONNECTIONS].includes(name);
      expect(defined, `${name} defined in code`).toBe(true);
    }
  });
});
