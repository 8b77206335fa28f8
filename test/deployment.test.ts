// docker-compose.yml and the Dockerfile, checked statically (no Docker engine on this machine):
// every service's compose environment must pass that service's own config validation, and the
// files it names must be what the `secrets` service writes into that service's own volume.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig as contextConfig } from '@clinote/context/config.js';
import { loadConfig as embeddingConfig } from '@clinote/embedding/config.js';
import { loadConfig as extractionConfig } from '@clinote/extraction/config.js';
import { loadConfig as gatewayConfig } from '@clinote/gateway/config.js';
import { ensureDevAuth } from '@clinote/shared/auth/dev-auth.js';
import { IdentitySigner, IdentityVerifier } from '@clinote/shared/auth/identity-token.js';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';
import { writeComposeSecrets } from '../scripts/lib/secrets.js';
import { ROOT } from './support/grpc.js';

interface ComposeService {
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  volumes?: string[];
  command?: string[];
  restart?: string;
  profiles?: string[];
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const APP_SERVICES = ['gateway', 'context', 'embedding', 'extraction'] as const;
const loaders = { gateway: gatewayConfig, context: contextConfig, embedding: embeddingConfig, extraction: extractionConfig };

/** `${X:-default}` as compose would expand it: the host's X when set and not empty, else the default. */
function expand(env: Record<string, string>, host: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{([A-Z_]+):-([^}]*)\}/g, (_, name: string, fallback: string) => host[name] || fallback)]),
  );
}

/** A real identity provider configured on the host, as the compose file's comment says. */
const IDP_HOST_ENV = {
  AUTH_MODE: 'jwt',
  AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
  AUTH_ISSUER: 'https://idp.example/',
  AUTH_AUDIENCE: 'clinote',
};

/** Paths a container sees under /secrets, as they lie in a directory standing in for the volumes. */
function underVolumes(env: NodeJS.ProcessEnv, base: string): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v?.startsWith('/secrets/') ? path.join(base, v.slice('/secrets/'.length)) : v]));
}

describe('docker-compose.yml', () => {
  it('runs Postgres 15, Redis 7, the secrets init and the four services from the one Dockerfile', () => {
    // Without a profile; the `tracing` profile's collector and Jaeger are test/compose.test.ts's.
    const started = Object.keys(compose.services).filter((name) => !compose.services[name]!.profiles);
    expect(started.sort()).toEqual(['context', 'embedding', 'extraction', 'gateway', 'postgres', 'redis', 'secrets']);
    for (const name of APP_SERVICES) {
      const svc = compose.services[name]!;
      expect(svc.build?.dockerfile).toBe('Dockerfile');
      expect(svc.build?.args?.SERVICE).toBe(name);
      expect(existsSync(path.join(ROOT, 'services', name, 'src', 'main.ts'))).toBe(true);
      expect(dockerfile).toContain(`COPY services/${name}/package.json services/${name}/`);
    }
  });

  it("gives each service an environment its own config accepts, in dev mode and with an identity provider", () => {
    for (const host of [{}, IDP_HOST_ENV]) {
      for (const name of APP_SERVICES) {
        const env = expand(compose.services[name]!.environment ?? {}, host);
        expect(() => loaders[name](env), name).not.toThrow();
      }
    }
    expect(gatewayConfig(expand(compose.services.gateway!.environment!)).AUTH_MODE).toBe('dev');
    expect(gatewayConfig(expand(compose.services.gateway!.environment!, IDP_HOST_ENV))).toMatchObject({ AUTH_MODE: 'jwt', AUTH_ISSUER: IDP_HOST_ENV.AUTH_ISSUER });
    // The dev default is said where it is set.
    expect(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')).toMatch(/DEV-MODE DEFAULT[^\n]*\n(\s*#.*\n)*\s*AUTH_MODE: \$\{AUTH_MODE:-dev\}/);
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

  it('checks health through grpc.health.v1 in the image, with the scripts it needs', () => {
    expect(dockerfile).toMatch(/HEALTHCHECK .*scripts\/healthcheck\.ts/);
    expect(existsSync(path.join(ROOT, 'scripts', 'healthcheck.ts'))).toBe(true);
    expect(dockerfile).toMatch(/COPY scripts\/healthcheck\.ts scripts\/compose-secrets\.ts scripts\/token\.ts scripts\//);
    expect(dockerfile).toContain('COPY scripts/lib scripts/lib');
  });
});

describe('compose secrets', () => {
  let volumes: string;

  beforeAll(async () => {
    volumes = mkdtempSync(path.join(tmpdir(), 'clinote-compose-secrets-'));
    await writeComposeSecrets(volumes);
  });

  afterAll(() => rmSync(volumes, { recursive: true, force: true }));

  it('runs once before every service, which mounts only its own volume, read-only', () => {
    const secrets = compose.services.secrets!;
    expect(secrets.command?.slice(-2)).toEqual(['scripts/compose-secrets.ts', '/secrets']);
    expect(existsSync(path.join(ROOT, 'scripts', 'compose-secrets.ts'))).toBe(true);
    expect(secrets.restart).toBe('no');
    expect(secrets.volumes?.sort()).toEqual(APP_SERVICES.map((s) => `${s}-secrets:/secrets/${s}`).sort());
    for (const name of APP_SERVICES) {
      const svc = compose.services[name]!;
      expect(svc.depends_on?.secrets?.condition, name).toBe('service_completed_successfully');
      expect(svc.volumes, name).toEqual([`${name}-secrets:/secrets/${name}:ro`]);
      // Every path it is given lies in its own volume.
      for (const [key, value] of Object.entries(svc.environment ?? {})) {
        if (String(value).startsWith('/secrets/')) expect(String(value), `${name} ${key}`).toMatch(new RegExp(`^/secrets/${name}/`));
      }
      expect(dockerfile).toContain(`/secrets/${name}`);
    }
    expect(dockerfile).toMatch(/chown -R node:node \/secrets/);
  });

  it('writes every file the services name, and they work together: mTLS certificates of one CA, identity tokens the peers verify', async () => {
    const envs = Object.fromEntries(APP_SERVICES.map((s) => [s, underVolumes(expand(compose.services[s]!.environment ?? {}), volumes)]));
    for (const name of APP_SERVICES) {
      const env = envs[name]!;
      for (const [key, value] of Object.entries(env)) if (value?.startsWith(volumes)) expect(existsSync(value), `${name} ${key}`).toBe(true);
      const config = loaders[name](env);
      expect(grpcCredentials(config).mutualTls, name).toBe(true);
      const ca = new X509Certificate(readFileSync(env.GRPC_TLS_CA!));
      const cert = new X509Certificate(readFileSync(env.GRPC_TLS_CERT!));
      expect(cert.verify(ca.publicKey), name).toBe(true);
      // Peers dial each other by their compose service name.
      expect(cert.checkHost(name), name).toBe(name);
      expect(statSync(env.GRPC_TLS_KEY!).mode & 0o077, name).toBe(0);
    }
    expect(new Set(APP_SERVICES.map((s) => readFileSync(envs[s]!.GRPC_TLS_CA!, 'utf8'))).size).toBe(1);

    const signer = await IdentitySigner.fromFile(envs.gateway!.INTERNAL_IDENTITY_KEY_FILE!);
    const token = await signer.tokenFor({ userId: '00000000-0000-4000-8000-000000000001', admin: false });
    for (const name of ['context', 'embedding', 'extraction'] as const) {
      expect(await new IdentityVerifier(envs[name]!.INTERNAL_IDENTITY_JWKS_FILE!).verify(token), name).toMatchObject({ admin: false });
    }
    // The gateway in dev mode finds its keys in place (its volume is read-only: nothing to create).
    const devDir = envs.gateway!.AUTH_DEV_DIR!;
    const before = readFileSync(path.join(devDir, 'access.jwks.json'), 'utf8');
    await ensureDevAuth(devDir);
    expect(readFileSync(path.join(devDir, 'access.jwks.json'), 'utf8')).toBe(before);
  });

  it('keeps what is present and fresh, and reissues every certificate from a new CA when one expires soon', async () => {
    const read = (file: string) => readFileSync(path.join(volumes, file), 'utf8');
    const files = ['gateway/ca.pem', 'context/tls.pem', 'gateway/identity/internal.private.jwk.json', 'embedding/cache-key.secret'];
    const first = files.map(read);
    await writeComposeSecrets(volumes);
    expect(files.map(read)).toEqual(first);

    await writeComposeSecrets(volumes, { validDays: 365, renewWithinDays: 400 });
    expect(read('gateway/ca.pem')).not.toBe(first[0]);
    expect(read('context/tls.pem')).not.toBe(first[1]);
    expect(read('context/ca.pem')).toBe(read('gateway/ca.pem'));
    // Keys that do not expire stay: running gateways keep signing what peers accept.
    expect(read('gateway/identity/internal.private.jwk.json')).toBe(first[2]);
    expect(read('embedding/cache-key.secret')).toBe(first[3]);
  });
});
