// docker-compose.yml and the Dockerfile, checked statically (no Docker engine on this machine):
// every service's compose environment must pass that service's own config validation, and the
// files it names must be what the `secrets` service writes into that service's own volume. Then
// `pnpm build` for real, and the built services and health probe started as the image starts them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig as contextConfig } from '@clinote/context/config.js';
import { loadConfig as embeddingConfig } from '@clinote/embedding/config.js';
import { loadConfig as extractionConfig } from '@clinote/extraction/config.js';
import { loadConfig as gatewayConfig } from '@clinote/gateway/config.js';
import { ensureDevAuth } from '@clinote/shared/auth/dev-auth.js';
import { IdentitySigner, IdentityVerifier } from '@clinote/shared/auth/identity-token.js';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';
import { provisionDatabaseRoles } from '@clinote/shared/db-roles.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { createMeshSecrets, type MeshSecrets } from '../scripts/lib/mesh.js';
import { writeComposeSecrets } from '../scripts/lib/secrets.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { ROOT } from './support/grpc.js';

const run = promisify(execFile);

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

  it('builds in stages: compiled JavaScript on production dependencies, Node 22 by digest, non-root, tini; drains before Docker kills', () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    const stage = (name: string) => stages.find((s) => s.split('\n', 1)[0]!.endsWith(` AS ${name}`)) ?? '';
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22[.\d]*-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    for (const s of stages) expect(s.split('\n', 1)[0], 'every stage from the pinned base').toMatch(/^(\$\{NODE_IMAGE\}|pnpm) AS /);
    expect(stage('build')).toContain('RUN pnpm run build');
    expect(stage('deps')).toMatch(/RUN pnpm install --frozen-lockfile --prod$/m);
    const runtime = stage('runtime');
    expect(runtime).not.toContain('pnpm install');
    expect(runtime).not.toContain('tsx');
    expect(runtime).toContain('COPY --from=build /app/dist/packages packages');
    expect(runtime).toContain('COPY --from=build /app/dist/services services');
    for (const name of APP_SERVICES) expect(runtime).toContain(`COPY --from=deps /app/services/${name}/node_modules services/${name}/node_modules`);
    expect(runtime).toMatch(/ENTRYPOINT \["\/usr\/bin\/tini", "--", "node"\]/);
    expect(runtime.trim().split('\n').filter((l) => l.startsWith('USER ')).at(-1)).toBe('USER node');
    // The last stage is what `docker build` without --target produces.
    expect(stages.at(-1)).toBe(runtime);
    for (const name of APP_SERVICES) {
      const svc = compose.services[name] as ComposeService & { stop_grace_period?: string; read_only?: boolean; tmpfs?: string[] };
      expect(svc.command, name).toEqual([`services/${name}/src/main.js`]);
      expect(svc.read_only, name).toBe(true);
      expect(svc.tmpfs, name).toEqual(['/tmp']);
      const grace = Number(expand(svc.environment ?? {}).SHUTDOWN_GRACE_MS ?? 10_000);
      expect(Number.parseInt(svc.stop_grace_period ?? '10', 10) * 1000, name).toBeGreaterThan(grace);
    }
    const maxConnections = Number(/max_connections=(\d+)/.exec(JSON.stringify(compose.services.postgres))?.[1] ?? 100);
    const pools = APP_SERVICES.reduce((sum, name) => sum + Number(expand(compose.services[name]!.environment ?? {}).DB_POOL_MAX ?? 50), 0);
    expect(pools * 2).toBeLessThanOrEqual(maxConnections);
  });

  it('checks health with the compiled grpc.health.v1 probe; the secrets init runs from the build stage, which has its scripts', () => {
    expect(dockerfile).toMatch(/HEALTHCHECK .*CMD \["node", "packages\/shared\/scripts\/healthcheck\.js", "127\.0\.0\.1:50051"\]/);
    const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { include: string[] };
    expect(build.include).toContain('scripts/healthcheck.ts');
    expect(compose.services.secrets!.build).toMatchObject({ target: 'build' });
    expect(dockerfile).toMatch(/AS build\n[\s\S]*COPY scripts scripts/);
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

// `pnpm build`, run here, laid out as the image's /app (production dependencies only, the build over
// them), and started as the image starts it: plain node, no tsx, nothing from this checkout.
describe('the build', () => {
  const image = mkdtempSync(path.join(tmpdir(), 'clinote-image-'));
  interface Built {
    port: number;
    ports: Record<string, number>;
    child: ChildProcess;
    exited: Promise<number | string>;
  }
  const started: Built[] = [];
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;
  let secrets: MeshSecrets;
  let context: Built;
  let gateway: Built;

  function startBuilt(name: string, env: NodeJS.ProcessEnv): Promise<Built> {
    const child = spawn(process.execPath, [path.join(image, 'services', name, 'src', 'main.js')], {
      cwd: image,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 1)));
    return new Promise<Built>((resolve, reject) => {
      const ports: Record<string, number> = {};
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const event = (() => {
          try {
            return JSON.parse(line) as { msg?: string; port?: number };
          } catch {
            return {};
          }
        })();
        for (const kind of ['metrics', 'health'] as const) if (event.msg === `${name} ${kind} listening`) ports[kind] = event.port!;
        if (event.msg === `${name} listening`) {
          const built = { port: event.port!, ports, child, exited };
          started.push(built);
          resolve(built);
        }
      });
      void exited.then((status) => reject(new Error(`built ${name} exited (${status}) before listening: ${stderr.slice(-2000)}`)));
    });
  }

  /** The compiled probe's exit code, as Docker's HEALTHCHECK runs it. */
  async function probe(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
    const child = spawn(process.execPath, [path.join(image, 'packages', 'shared', 'scripts', 'healthcheck.js'), ...args], {
      cwd: image,
      env: { PATH: process.env.PATH, ...env },
      stdio: 'ignore',
    });
    return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  }

  beforeAll(async () => {
    await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'build.ts'), '--image', image], { cwd: ROOT, timeout: 300_000 });
    db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_build');
    const roles = await provisionDatabaseRoles(db.url);
    secrets = await createMeshSecrets();
    const common = { LOG_LEVEL: 'warn', GRPC_ADDRESS: '127.0.0.1:0', METRICS_PORT: '0', HEALTH_PORT: '0', OPS_HOST: '127.0.0.1', DB_POOL_MIN: '0', DB_POOL_MAX: '2' };
    context = await startBuilt('context', { ...common, ...roles.envFor('context'), ...secrets.envFor('context'), CPU_WORKERS: '1' });
    const peer = `127.0.0.1:${context.port}`;
    gateway = await startBuilt('gateway', { ...common, ...roles.envFor('gateway'), ...secrets.envFor('gateway'), CONTEXT_ADDR: peer, EMBEDDING_ADDR: peer, EXTRACTION_ADDR: peer });
  }, 400_000);

  afterAll(async () => {
    for (const b of started) if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL');
    await Promise.all(started.map((b) => b.exited));
    await db?.drop();
    if (secrets) rmSync(secrets.dir, { recursive: true, force: true });
    rmSync(image, { recursive: true, force: true });
  });

  it('lays out JavaScript packages with their runtime files and no TypeScript', () => {
    const shared = path.join(image, 'packages', 'shared');
    for (const file of ['src/gen/context.binpb', 'src/clinical-lexicon/lexicon.json', 'src/cpu-worker.mjs', 'src/grpc-server.js', 'scripts/healthcheck.js']) {
      expect(existsSync(path.join(shared, file)), file).toBe(true);
    }
    expect(existsSync(path.join(image, 'services', 'extraction', 'src', 'domain', 'offline', 'section-model.json'))).toBe(true);
    expect(existsSync(path.join(image, 'services', 'context', 'src', 'domain', 'cpu-tasks.js'))).toBe(true);
    expect(existsSync(path.join(shared, 'src', 'grpc-server.ts'))).toBe(false);
    // Production dependencies only: no TypeScript compiler, no test runner.
    expect(existsSync(path.join(image, 'node_modules', '.pnpm', 'lock.yaml'))).toBe(true);
    expect(readdirSync(path.join(image, 'node_modules', '.pnpm')).filter((d) => /^(typescript|vitest)@/.test(d))).toEqual([]);
    const manifest = JSON.parse(readFileSync(path.join(shared, 'package.json'), 'utf8')) as { exports: Record<string, string> };
    expect(Object.values(manifest.exports).some((t) => t.endsWith('.ts'))).toBe(false);
  });

  it('starts the built services with plain node, and the compiled probe finds them SERVING, over mTLS and on the health port', async () => {
    expect(await probe([`127.0.0.1:${context.port}`], { SERVICE: 'context', ...secrets.pki.forService('context') })).toBe(0);
    // Without the certificate the mTLS listener refuses the probe.
    expect(await probe([`127.0.0.1:${context.port}`], { SERVICE: 'context' })).toBe(1);
    expect(await probe([], { SERVICE: 'context', HEALTH_PORT: String(context.ports.health) })).toBe(0);
    expect(await probe([`127.0.0.1:${gateway.port}`], { SERVICE: 'gateway' })).toBe(0);
    const metrics = await fetch(`http://127.0.0.1:${gateway.ports.metrics}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('target_info');
  });

  it('drains and exits 0 on SIGTERM', async () => {
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    // Gone: the probe now fails.
    expect(await probe([`127.0.0.1:${gateway.port}`], { SERVICE: 'gateway' })).toBe(1);
  });
});
