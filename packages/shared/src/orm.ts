import { AsyncLocalStorage } from 'node:async_hooks';
import {
  MikroORM,
  RequestContext,
  type AnyEntity,
  type Configuration,
  type EntityData,
  type EntitySchema,
  type LoggingOptions,
  type MigrationObject,
  type PoolConfig,
  type QueryResult,
  type Transaction,
} from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlConnection, PostgreSqlDriver, type Knex } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { DatabaseSettings } from './config.js';
import { DeadlineExceededError, throwIfAborted } from './errors.js';
import { isUuid } from './validation.js';
import type { Logger } from './logger.js';

export interface OrmOptions {
  /** The Postgres schema this service owns; no other service reads it. */
  schema: string;
  database: DatabaseSettings;
  entities: EntitySchema<any, any>[];
  migrations: MigrationObject[];
  /** Called for every SQL statement (never with its parameters): lets tests count queries. */
  onQuery?: () => void;
  /** Where knex's own pool warnings go (instead of the console). */
  logger?: Logger;
}

export type Orm = MikroORM<PostgreSqlDriver>;

/** MikroORM's default, which the migrator keeps its bookkeeping in; the runtime role gets no access to it. */
const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/**
 * Creates the service's own ORM and pool, and brings its schema up to date under an advisory lock:
 * as the migrator (DATABASE_MIGRATION_URL) when given, which then grants the runtime role row access
 * to the schema's tables; otherwise as the runtime role itself.
 */
export async function createOrm(options: OrmOptions): Promise<Orm> {
  const runtime = await inspectRole(options.database.url);
  if (runtime.superuser || runtime.bypassRls) {
    options.logger?.warn(
      { role: runtime.name, superuser: runtime.superuser, bypass_rls: runtime.bypassRls },
      'DATABASE_URL connects as a role that bypasses row-level security: RLS is no backstop. Run as the service role (see db-roles.ts).',
    );
  }
  await migrateUnderLock(options, runtime.name);
  return openOrm(options, ActingPostgreSqlDriver);
}

async function openOrm(options: OrmOptions, driver: typeof PostgreSqlDriver = PostgreSqlDriver): Promise<Orm> {
  const { database } = options;
  return MikroORM.init<PostgreSqlDriver>({
    driver,
    clientUrl: database.url,
    schema: options.schema,
    entities: options.entities,
    extensions: [Migrator],
    migrations: { migrationsList: options.migrations, transactional: true, allOrNothing: true, snapshot: false },
    pool: poolSettings(database),
    driverOptions: {
      // Knex's own bound on getting a connection (its default is a minute).
      acquireConnectionTimeout: database.acquireTimeoutMs,
      // Knex's pool warnings ("Connection Error: ...") as JSON log lines; they carry no SQL parameters.
      log: knexLog(options.logger),
      connection: {
        statement_timeout: database.statementTimeoutMs,
        keepAlive: true,
        application_name: `clinote-${options.schema}`,
      },
    },
    allowGlobalContext: false,
    ensureDatabase: false,
    discovery: { warnWhenNoEntities: false },
    debug: options.onQuery ? ['query'] : false,
    // Never print SQL: parameters may hold patient text. The hook only counts.
    logger: () => options.onQuery?.(),
  });
}

function knexLog(logger: Logger | undefined) {
  const write = (level: 'warn' | 'error' | 'debug') => (message: unknown) =>
    logger?.[level]({ component: 'knex' }, typeof message === 'string' ? message.slice(0, 200) : 'knex event');
  return { warn: write('warn'), error: write('error'), deprecate: write('warn'), debug: write('debug') };
}

/** Knex (tarn) pool options; knex reads the lifetime and validate options that MikroORM's type omits. */
function poolSettings(database: DatabaseSettings): PoolConfig {
  return {
    min: database.poolMin,
    max: database.poolMax,
    idleTimeoutMillis: database.idleMs,
    // The seed's pool_recycle: no connection lives longer than this (jittered so they don't all renew at once).
    maxConnectionLifetimeMillis: database.maxLifetimeSeconds * 1000,
    maxConnectionLifetimeJitterMillis: 60_000,
    // The seed's pool_pre_ping, without a round trip: a connection the server closed or that errored is dropped on checkout.
    validate: (connection: { _ending?: boolean; _queryable?: boolean }) => !connection._ending && connection._queryable !== false,
    propagateCreateError: false,
  } as PoolConfig;
}

interface RoleFacts {
  name: string;
  superuser: boolean;
  bypassRls: boolean;
}

/** Who DATABASE_URL connects as (also proves its credentials work before anything migrates). */
async function inspectRole(url: string): Promise<RoleFacts> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; superuser: boolean; bypass_rls: boolean }>(
      'select rolname as name, rolsuper as superuser, rolbypassrls as bypass_rls from pg_roles where rolname = current_user',
    );
    const role = rows[0]!;
    return { name: role.name, superuser: role.superuser, bypassRls: role.bypass_rls };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs pending migrations once even when many replicas start together. */
async function migrateUnderLock(options: OrmOptions, runtimeRole: string): Promise<void> {
  const url = options.database.migrationUrl ?? options.database.url;
  const lockClient = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await lockClient.connect();
  try {
    // Another replica migrating holds the lock; waiting is bounded, a stuck lock fails the start.
    await lockClient.query(`set lock_timeout = '120s'`);
    await lockClient.query('select pg_advisory_lock(hashtext($1))', [`clinote:migrate:${options.schema}`]);
    await lockClient.query(`create schema if not exists "${options.schema}"`);
    const orm = await openOrm({ ...options, onQuery: undefined, database: { ...options.database, url, poolMin: 0, poolMax: 2 } });
    try {
      await orm.getMigrator().up();
    } finally {
      await orm.close(true);
    }
    const migrator = (await lockClient.query<{ name: string }>('select current_user as name')).rows[0]!.name;
    if (migrator !== runtimeRole) await grantRowAccess(lockClient, options.schema, runtimeRole);
  } finally {
    await lockClient.query('select pg_advisory_unlock(hashtext($1))', [`clinote:migrate:${options.schema}`]).catch(() => undefined);
    await lockClient.end();
  }
}

/**
 * The runtime role may use the schema and read and write rows of its tables (and use their
 * sequences), nothing else: no DDL, no TRUNCATE, no triggers, no migration bookkeeping. Re-run after
 * every migration, so new tables are covered; the tables' row-level security does the rest.
 */
async function grantRowAccess(client: pg.Client, schema: string, role: string): Promise<void> {
  const grantee = quoteIdent(role);
  const tables = await client.query<{ name: string; bookkeeping: boolean }>(
    `select format('%I.%I', schemaname, tablename) as name, tablename = $2 as bookkeeping from pg_tables where schemaname = $1`,
    [schema, MIGRATIONS_TABLE],
  );
  await client.query(`grant usage on schema ${quoteIdent(schema)} to ${grantee}`);
  for (const table of tables.rows) {
    if (table.bookkeeping) {
      await client.query(`revoke all on table ${table.name} from ${grantee}`);
      continue;
    }
    await client.query(`revoke truncate, references, trigger on table ${table.name} from ${grantee}`);
    await client.query(`grant select, insert, update, delete on table ${table.name} to ${grantee}`);
  }
  const sequences = await client.query<{ name: string; bookkeeping: boolean }>(
    `select format('%I.%I', s.schemaname, s.sequencename) as name,
            exists (select 1 from pg_depend d join pg_class t on t.oid = d.refobjid
                    where d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass and d.deptype in ('a', 'i') and t.relname = $2) as bookkeeping
     from pg_sequences s where s.schemaname = $1`,
    [schema, MIGRATIONS_TABLE],
  );
  for (const sequence of sequences.rows) {
    await client.query(
      sequence.bookkeeping ? `revoke all on sequence ${sequence.name} from ${grantee}` : `grant usage, select on sequence ${sequence.name} to ${grantee}`,
    );
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Who the database work of the current async call acts for. Row-level security policies compare
 * rows to it (`app.user_id`, and `app.subject` for the gateway's provisioning by token subject).
 */
export interface ActingIdentity {
  userId?: string;
  subject?: string;
  /** The caller's deadline: each transaction's statement_timeout is what remains of it. */
  deadline?: Date | undefined;
  /** The caller's cancellation: a statement running when it fires is cancelled on the server. */
  signal?: AbortSignal | undefined;
}

const acting = new AsyncLocalStorage<ActingIdentity>();

/**
 * Runs fn with every statement it issues through an ORM of createOrm acting for `identity`. Admin
 * work on another clinician (erasure, audit) acts for that clinician the same way: no role bypasses
 * row-level security.
 */
export function actingAs<T>(identity: ActingIdentity, fn: () => Promise<T>): Promise<T> {
  if (identity.userId !== undefined && !isUuid(identity.userId)) throw new Error('the acting user id must be a UUID');
  return acting.run({ ...identity }, fn);
}

/** The identity statements issued here act for, if any. */
export function currentActingIdentity(): ActingIdentity | undefined {
  return acting.getStore();
}

/** `around` for a service's gRPC server: a fresh identity map per call, acting for the call's principal. */
export function actingFor(orm: Orm) {
  return <T>(ctx: { principal: { userId: string }; deadline?: Date | undefined; signal?: AbortSignal }, fn: () => Promise<T>): Promise<T> =>
    RequestContext.create(orm.em, () => actingAs({ userId: ctx.principal.userId, deadline: ctx.deadline, signal: ctx.signal }, fn));
}

const SET_ACTING =
  "select set_config('app.user_id', ?, true), set_config('app.subject', ?, true), set_config('statement_timeout', ?, true), pg_backend_pid() as pid";

/** statement_timeout for a transaction: the caller's remaining time, never longer than the configured bound. */
function statementTimeout(identity: ActingIdentity, configuredMs: number): string {
  if (!identity.deadline) return String(configuredMs);
  const remaining = identity.deadline.getTime() - Date.now();
  if (remaining <= 0) throw new DeadlineExceededError('deadline exceeded before the database was reached');
  return String(configuredMs > 0 ? Math.min(configuredMs, Math.ceil(remaining)) : Math.ceil(remaining));
}

/**
 * Every statement runs in a transaction that carries the acting identity (SET LOCAL, so nothing
 * outlives it on a pooled connection): a transaction the code opens gets it as it begins, and a
 * statement outside any transaction becomes a transaction of its own. So forks, raw
 * `getConnection().execute()`, knex builders run with `em.execute()` and parallel queries all act for
 * the caller without passing anything along, and no connection is held across a handler's peer or
 * LLM calls. Only knex used on its own (`getKnex().transaction()`, awaiting a builder) bypasses this,
 * and then sees no rows. Without an acting identity (startup, readiness) statements run as they are.
 */
class ActingPostgreSqlConnection extends PostgreSqlConnection {
  override async begin(options: Parameters<PostgreSqlConnection['begin']>[0] = {}): Promise<Knex.Transaction> {
    const identity = acting.getStore();
    throwIfAborted(identity?.signal);
    const timeout = identity ? statementTimeout(identity, this.statementTimeoutMs()) : '0';
    const trx = await super.begin(options);
    // A savepoint (options.ctx) is inside a transaction that already acts for someone.
    if (!options.ctx && identity) {
      try {
        const result = (await trx.raw(SET_ACTING, [identity.userId ?? '', identity.subject ?? '', timeout])) as { rows: { pid: number }[] };
        this.cancelOnAbort(trx, identity.signal, result.rows[0]?.pid);
      } catch (err: unknown) {
        // A failed BEGIN (the connection died) leaves knex's transaction completed, and our statement then fails
        // with "Transaction query already complete": BEGIN's own error is the one that says what happened.
        const cause = trx.isCompleted() ? await trx.executionPromise.then(() => err, (beginError: unknown) => beginError) : err;
        await this.rollback(trx, undefined, options.loggerContext).catch(() => undefined);
        throw cause;
      }
    }
    return trx;
  }

  private statementTimeoutMs(): number {
    const connection = (this.config.get('driverOptions') as { connection?: { statement_timeout?: number } } | undefined)?.connection;
    return connection?.statement_timeout ?? 0;
  }

  /** When the caller gives up, the statement running for it is cancelled (by another pooled connection). */
  private cancelOnAbort(trx: Knex.Transaction, signal: AbortSignal | undefined, pid: number | undefined): void {
    if (!signal || pid === undefined) return;
    const onAbort = () => {
      void acting.exit(() => super.execute('select pg_cancel_backend(?)', [pid], 'run')).catch(() => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    void trx.executionPromise.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => undefined);
  }

  override async execute<T extends QueryResult | EntityData<AnyEntity> | EntityData<AnyEntity>[] = EntityData<AnyEntity>[]>(
    queryOrKnex: string | Knex.QueryBuilder | Knex.Raw,
    params: unknown[] = [],
    method: 'all' | 'get' | 'run' = 'all',
    ctx?: Transaction,
    loggerContext?: LoggingOptions,
  ): Promise<T> {
    if (ctx || !acting.getStore() || boundToTransaction(queryOrKnex)) return super.execute<T>(queryOrKnex, params, method, ctx, loggerContext);
    return this.transactional((trx) => super.execute<T>(queryOrKnex, params, method, trx, loggerContext), { loggerContext });
  }
}

function boundToTransaction(query: string | Knex.QueryBuilder | Knex.Raw): boolean {
  return typeof query === 'object' && Boolean((query as { client?: { transacting?: boolean } }).client?.transacting);
}

/** PostgreSqlDriver on the acting connection above. */
class ActingPostgreSqlDriver extends PostgreSqlDriver {
  constructor(config: Configuration) {
    super(config);
    (this as unknown as { connection: ActingPostgreSqlConnection }).connection = new ActingPostgreSqlConnection(config);
  }
}

/** Readiness probe: the database answers. */
export async function databaseReachable(orm: Orm, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  // Through knex itself: a probe is no call's query, so it is neither counted nor run as anyone.
  const probe = Promise.resolve(orm.em.getKnex().raw('select 1'))
    .then(
      () => true,
      () => false,
    );
  try {
    return await Promise.race([probe, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
