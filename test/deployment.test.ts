// docker-compose.yml and the Dockerfile, checked statically (no Docker engine on this machine):
// every service's compose environment must pass that service's own config validation.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig as contextConfig } from '@clinote/context/config.js';
import { loadConfig as embeddingConfig } from '@clinote/embedding/config.js';
import { loadConfig as extractionConfig } from '@clinote/extraction/config.js';
import { loadConfig as gatewayConfig } from '@clinote/gateway/config.js';
import { ROOT } from './support/grpc.js';

interface ComposeService {
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const APP_SERVICES = ['gateway', 'context', 'embedding', 'extraction'] as const;
const loaders = { gateway: gatewayConfig, context: contextConfig, embedding: embeddingConfig, extraction: extractionConfig };

/** `${X:-default}` as compose would expand it with X unset. */
function expand(env: Record<string, string>): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]),
  );
}

describe('docker-compose.yml', () => {
  it('runs Postgres 15, Redis 7 and the four services from the one Dockerfile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['context', 'embedding', 'extraction', 'gateway', 'postgres', 'redis']);
    for (const name of APP_SERVICES) {
      const svc = compose.services[name]!;
      expect(svc.build?.dockerfile).toBe('Dockerfile');
      expect(svc.build?.args?.SERVICE).toBe(name);
      expect(existsSync(path.join(ROOT, 'services', name, 'src', 'main.ts'))).toBe(true);
      expect(dockerfile).toContain(`COPY services/${name}/package.json services/${name}/`);
    }
  });

  it("gives each service an environment its own config accepts", () => {
    for (const name of APP_SERVICES) {
      const env = expand(compose.services[name]!.environment ?? {});
      expect(() => loaders[name](env), name).not.toThrow();
    }
  });

  it('reaches every replica of a peer through one DNS name, and publishes only the gateway', () => {
    const env = compose.services.gateway!.environment!;
    for (const peer of ['context', 'embedding', 'extraction']) {
      expect(env[`${peer.toUpperCase()}_ADDR`]).toBe(`dns:///${peer}:50051`);
      expect(compose.services[peer]!.ports).toBeUndefined();
      expect(compose.services.gateway!.depends_on?.[peer]?.condition).toBe('service_healthy');
    }
    expect(compose.services.gateway!.ports).toEqual(['50051:50051']);
  });

  it('installs what the services run with (tsx is a dev dependency) and drains before Docker kills', () => {
    const install = dockerfile.indexOf('pnpm install');
    expect(dockerfile.slice(install, dockerfile.indexOf('\n', install))).toContain('--prod=false');
    expect(dockerfile.slice(0, install)).not.toContain('NODE_ENV=production');
    for (const name of APP_SERVICES) {
      const svc = compose.services[name] as ComposeService & { stop_grace_period?: string };
      const grace = Number(expand(svc.environment ?? {}).SHUTDOWN_GRACE_MS ?? 10_000);
      expect(Number.parseInt(svc.stop_grace_period ?? '10', 10) * 1000, name).toBeGreaterThan(grace);
    }
    const maxConnections = Number(/max_connections=(\d+)/.exec(JSON.stringify(compose.services.postgres))?.[1] ?? 100);
    const pools = APP_SERVICES.reduce((sum, name) => sum + Number(expand(compose.services[name]!.environment ?? {}).DB_POOL_MAX ?? 50), 0);
    expect(pools * 2).toBeLessThanOrEqual(maxConnections);
  });

  it('checks health through grpc.health.v1 in the image', () => {
    expect(dockerfile).toMatch(/HEALTHCHECK .*scripts\/healthcheck\.ts/);
    expect(existsSync(path.join(ROOT, 'scripts', 'healthcheck.ts'))).toBe(true);
  });
});
