import type { EntityManager } from '@mikro-orm/postgresql';
import { actingAs } from '@clinote/shared/orm.js';
import type { PersistentEmbeddingStore } from '../domain/persistent-embedding-store.js';
import { packVector, unpackVector } from '../domain/vector-bytes.js';
import { EmbeddingCacheEntry } from './embedding-cache-entry.js';

const TABLE = '"embedding"."embedding_cache_entry"';
const CHUNK = 500; // rows per statement: stays far below Postgres' 65,535 bind parameters

/**
 * Postgres tier of the embedding cache through MikroORM; bulk reads and upserts in one statement per
 * chunk. Every statement but the start-up warm-up and the aggregate count is for one user: it acts
 * for that user (app.user_id, whatever call's batch it runs in, since lookups of several callers are
 * coalesced) and names them in its WHERE clause, so it reads and writes only that user's rows.
 */
export class MikroOrmEmbeddingStore implements PersistentEmbeddingStore {
  constructor(private readonly em: EntityManager) {}

  getMany(userId: string, keys: string[]): Promise<Map<string, Float32Array>> {
    return actingAs({ userId }, () => this.getManyActing(userId, keys));
  }

  putMany(userId: string, entries: { key: string; model: string; vector: Float32Array }[]): Promise<void> {
    return actingAs({ userId }, () => this.putManyActing(userId, entries));
  }

  eraseUser(userId: string): Promise<number> {
    return actingAs({ userId }, async () => {
      const result = await this.em.getConnection().execute<{ affectedRows: number }>(`delete from ${TABLE} where user_id = ?`, [userId], 'run');
      return result.affectedRows;
    });
  }

  private async getManyActing(userId: string, keys: string[]): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const chunk = unique.slice(i, i + CHUNK);
      // Reading is also a use: one statement bumps the hit count and returns the vectors.
      const rows = await this.em.getConnection().execute<{ key: string; vector: Buffer }[]>(
        `update ${TABLE} set hits = hits + 1, last_used_at = now() ` +
          `where user_id = ? and key in (${chunk.map(() => '?').join(', ')}) returning key, vector`,
        [userId, ...chunk],
      );
      for (const row of rows) {
        const vector = unpackVector(row.vector);
        if (vector) found.set(row.key, vector);
      }
    }
    return found;
  }

  private async putManyActing(userId: string, entries: { key: string; model: string; vector: Float32Array }[]): Promise<void> {
    // One row per key: Postgres refuses to upsert the same key twice in one statement.
    const byKey = new Map(entries.map((e) => [e.key, e]));
    const rows = [...byKey.values()];
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      const params: unknown[] = [];
      for (const e of chunk) params.push(e.key, userId, e.model, e.vector.length, packVector(e.vector));
      await this.em.getConnection().execute(
        `insert into ${TABLE} (key, user_id, model, dims, vector, hits, created_at, last_used_at) values ` +
          chunk.map(() => '(?, ?, ?, ?, ?, 0, now(), now())').join(', ') +
          ' on conflict (key) do update set model = excluded.model, dims = excluded.dims, ' +
          `vector = excluded.vector, last_used_at = now() where ${TABLE}.user_id = excluded.user_id`,
        params,
      );
    }
  }

  async hottest(limit: number): Promise<{ userId: string; key: string; vector: Float32Array }[]> {
    const rows = await this.em.fork().find(
      EmbeddingCacheEntry,
      {},
      { orderBy: { lastUsedAt: 'desc' }, limit, fields: ['key', 'userId', 'vector'] },
    );
    const hot: { userId: string; key: string; vector: Float32Array }[] = [];
    for (const row of rows) {
      const vector = unpackVector(row.vector);
      if (vector) hot.push({ userId: row.userId, key: row.key, vector });
    }
    return hot;
  }

  count(): Promise<number> {
    return this.em.fork().count(EmbeddingCacheEntry);
  }
}
