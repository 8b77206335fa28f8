import { createOrm, type Orm } from '@clinote/shared/orm.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { embeddingMigrations } from '../migrations/index.js';
import { embeddingEntities } from './index.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** For tests: a database of their own, migrated like production, dropped by `drop()`. */
export async function createTestOrm(): Promise<{ orm: Orm; url: string; drop(): Promise<void> }> {
  const db = await createScratchDatabase(ADMIN_URL, 'clinote_embedding_test');
  const orm = await createOrm({
    schema: 'embedding',
    database: { url: db.url, poolMin: 0, poolMax: 4, idleMs: 1_000, maxLifetimeSeconds: 3600, statementTimeoutMs: 5_000, acquireTimeoutMs: 5_000 },
    entities: embeddingEntities,
    migrations: embeddingMigrations,
  });
  return {
    orm,
    url: db.url,
    async drop() {
      await orm.close(true);
      await db.drop();
    },
  };
}
