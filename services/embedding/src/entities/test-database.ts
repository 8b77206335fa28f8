import { randomBytes } from 'node:crypto';
import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { createOrm, type Orm } from '@clinote/shared/orm.js';
import { embeddingMigrations } from '../migrations/index.js';
import { embeddingEntities } from './index.js';

const ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/** For tests: a database of their own, migrated like production, dropped by `drop()`. */
export async function createTestOrm(): Promise<{ orm: Orm; url: string; drop(): Promise<void> }> {
  const name = `clinote_embedding_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = await MikroORM.init<PostgreSqlDriver>({
    driver: PostgreSqlDriver,
    clientUrl: ADMIN_URL,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: 1 },
  });
  await admin.em.getConnection().execute(`create database "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const orm = await createOrm({
    schema: 'embedding',
    database: { url: url.toString(), poolMin: 0, poolMax: 4, idleMs: 1_000, maxLifetimeSeconds: 3600, statementTimeoutMs: 5_000 },
    entities: embeddingEntities,
    migrations: embeddingMigrations,
  });
  return {
    orm,
    url: url.toString(),
    async drop() {
      await orm.close(true);
      try {
        await admin.em.getConnection().execute(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.close(true);
      }
    },
  };
}
