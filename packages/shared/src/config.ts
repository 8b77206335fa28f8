import { z } from 'zod';

/** Parses the environment once; a missing or malformed variable stops the process with every problem listed. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

/** An unset or empty variable is absent (compose passes `${X:-}` as an empty string). */
export const optionalEnv = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const intFromEnv = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

/** Database settings shared by every service that owns tables (pool after the seed: 20 steady + 30 overflow). */
export const databaseEnv = z.object({
  /** The service's own role at runtime (see db-roles.ts): row access to its schema, nothing more. */
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/postgres'),
  /** The migrator role that owns the schema; unset: migrations run under DATABASE_URL (no RLS backstop if that is a superuser). */
  DATABASE_MIGRATION_URL: optionalEnv(z.string().url()),
  DB_POOL_MIN: intFromEnv(20),
  DB_POOL_MAX: intFromEnv(50),
  DB_POOL_IDLE_MS: intFromEnv(30_000),
  DB_CONNECTION_MAX_LIFETIME_S: intFromEnv(3600),
  DB_STATEMENT_TIMEOUT_MS: intFromEnv(15_000),
  DB_ACQUIRE_TIMEOUT_MS: intFromEnv(5_000),
});

export const serverEnv = z.object({
  GRPC_ADDRESS: z.string().default('0.0.0.0:0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_GRACE_MS: intFromEnv(10_000),
  /** Admission control: calls one server works on at once; above it, RESOURCE_EXHAUSTED at once. */
  MAX_CONCURRENT_CALLS: intFromEnv(512),
  /** Connections older than this get a GOAWAY, so clients rebalance onto replicas started since. */
  GRPC_MAX_CONNECTION_AGE_MS: intFromEnv(5 * 60_000),
  /** How long calls in flight on an aged connection may still run before it is closed. */
  GRPC_MAX_CONNECTION_AGE_GRACE_MS: intFromEnv(30_000),
  /** Unset: JSON logs on stdout. */
  LOG_FILE: optionalEnv(z.string()),
  /** mTLS between services: all three PEM paths, or none (plaintext). */
  GRPC_TLS_CA: optionalEnv(z.string()),
  GRPC_TLS_CERT: optionalEnv(z.string()),
  GRPC_TLS_KEY: optionalEnv(z.string()),
});

const commaList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/** Internal services: who may call them. */
export const internalAuthEnv = z.object({
  /** Public JWKS of the gateway's identity-token key: every call must carry a token it verifies. */
  INTERNAL_IDENTITY_JWKS_FILE: z.string().min(1),
  /** With mTLS on, the certificate identities (CN or SAN name) allowed to call this service. */
  GRPC_TLS_ALLOWED_PEERS: commaList.default(['gateway']),
});

/** A service's CPU worker pool (cpu-pool.ts). */
export const cpuPoolEnv = z.object({
  /** Worker threads for CPU-heavy work on long texts. Unset: one per available core. */
  CPU_WORKERS: optionalEnv(z.coerce.number().int().positive()),
  /** Pool tasks that may wait for a worker; beyond it RESOURCE_EXHAUSTED. */
  CPU_MAX_QUEUE: z.coerce.number().int().nonnegative().default(64),
});

export const peerTimeoutEnv = z.object({
  PEER_DEFAULT_TIMEOUT_MS: intFromEnv(30_000),
});

export function databaseSettings(env: z.infer<typeof databaseEnv>) {
  return {
    url: env.DATABASE_URL,
    migrationUrl: env.DATABASE_MIGRATION_URL,
    poolMin: Math.min(env.DB_POOL_MIN, env.DB_POOL_MAX),
    poolMax: env.DB_POOL_MAX,
    idleMs: env.DB_POOL_IDLE_MS,
    maxLifetimeSeconds: env.DB_CONNECTION_MAX_LIFETIME_S,
    statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    acquireTimeoutMs: env.DB_ACQUIRE_TIMEOUT_MS,
  };
}
/** The migration URL may be absent (tests building settings by hand leave it out). */
export type DatabaseSettings = Omit<ReturnType<typeof databaseSettings>, 'migrationUrl'> & { migrationUrl?: string | undefined };
