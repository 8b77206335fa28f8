import { MikroORM, RequestContext, type EntitySchema, type MigrationObject, type PoolConfig } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { DatabaseSettings } from './config.js';
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

/** Creates the service's own ORM and pool, and brings its schema up to date under an advisory lock. */
export async function createOrm(options: OrmOptions): Promise<Orm> {
  await migrateUnderLock(options);
  return openOrm(options);
}

async function openOrm(options: OrmOptions): Promise<Orm> {
  const { database } = options;
  return MikroORM.init<PostgreSqlDriver>({
    driver: PostgreSqlDriver,
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

/** Runs pending migrations once even when many replicas start together. */
async function migrateUnderLock(options: OrmOptions): Promise<void> {
  const lockClient = new pg.Client({ connectionString: options.database.url, connectionTimeoutMillis: 10_000 });
  await lockClient.connect();
  try {
    // Another replica migrating holds the lock; waiting is bounded, a stuck lock fails the start.
    await lockClient.query(`set lock_timeout = '120s'`);
    await lockClient.query('select pg_advisory_lock(hashtext($1))', [`clinote:migrate:${options.schema}`]);
    await lockClient.query(`create schema if not exists "${options.schema}"`);
    const orm = await openOrm({ ...options, onQuery: undefined, database: { ...options.database, poolMin: 0, poolMax: 2 } });
    try {
      await orm.getMigrator().up();
    } finally {
      await orm.close(true);
    }
  } finally {
    await lockClient.query('select pg_advisory_unlock(hashtext($1))', [`clinote:migrate:${options.schema}`]).catch(() => undefined);
    await lockClient.end();
  }
}

/** A fresh identity map per call. */
export function withRequestContext(orm: Orm) {
  return <T>(_ctx: unknown, fn: () => Promise<T>): Promise<T> => RequestContext.create(orm.em, fn);
}

/** Readiness probe: the database answers. */
export async function databaseReachable(orm: Orm, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = orm.em
    .fork()
    .getConnection()
    .execute('select 1')
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
