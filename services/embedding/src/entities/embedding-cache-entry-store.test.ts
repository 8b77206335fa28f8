import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MikroOrmEmbeddingStore } from './embedding-cache-entry-store.js';
import { createTestOrm } from './test-database.js';

const vec = (...values: number[]): Float32Array => Float32Array.from(values);
const USER = randomUUID();
const OTHER = randomUUID();

describe('MikroOrmEmbeddingStore', () => {
  let db: Awaited<ReturnType<typeof createTestOrm>>;
  let store: MikroOrmEmbeddingStore;
  beforeAll(async () => {
    db = await createTestOrm();
    store = new MikroOrmEmbeddingStore(db.orm.em);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('migrates the table with its index into the embedding schema', async () => {
    const rows = await db.orm.em.getConnection().execute<{ indexname: string }[]>(
      "select indexname from pg_indexes where schemaname = 'embedding' and tablename = 'embedding_cache_entry' order by indexname",
    );
    expect(rows.map((r) => r.indexname)).toEqual([
      'embedding_cache_entry_last_used_at_index',
      'embedding_cache_entry_pkey',
      'embedding_cache_entry_user_id_index',
    ]);
  });

  it('upserts in bulk and reads back exact Float32 values', async () => {
    await store.putMany(USER, [
      { key: 'k1', model: 'm', vector: vec(0.25, -0.5, 1e-7) },
      { key: 'k2', model: 'm', vector: vec(1, 0, 0) },
      { key: 'k1', model: 'm', vector: vec(0.5, 0.5, 0.5) },
    ]);
    await store.putMany(USER, [{ key: 'k2', model: 'm', vector: vec(0, 1, 0) }]);
    const found = await store.getMany(USER, ['k1', 'k2', 'absent']);
    expect([...found.keys()].sort()).toEqual(['k1', 'k2']);
    expect(Array.from(found.get('k1')!)).toEqual([0.5, 0.5, 0.5]);
    expect(Array.from(found.get('k2')!)).toEqual([0, 1, 0]);
    expect(await store.count()).toBe(2);
  });

  it('counts reads as uses and returns the most recently used first', async () => {
    await store.putMany(USER, [{ key: 'k3', model: 'm', vector: vec(0, 0, 1) }]);
    await store.getMany(USER, ['k1']);
    const hot = await store.hottest(2);
    expect(hot.map((h) => h.key)).toEqual(['k1', 'k3']);
    expect(hot.map((h) => h.userId)).toEqual([USER, USER]);
    const [row] = await db.orm.em
      .getConnection()
      .execute<{ hits: string }[]>(`select hits from "embedding"."embedding_cache_entry" where key = 'k1'`);
    expect(Number(row!.hits)).toBe(2);
  });

  it('handles more keys than one statement takes', async () => {
    const entries = Array.from({ length: 1_200 }, (_, i) => ({ key: `bulk-${i}`, model: 'm', vector: vec(i, -i) }));
    await store.putMany(USER, entries);
    const found = await store.getMany(USER, entries.map((e) => e.key));
    expect(found.size).toBe(1_200);
    expect(Array.from(found.get('bulk-1199')!)).toEqual([1199, -1199]);
  });

  it('reads only the named user\'s rows, never overwrites another\'s, and erases one user', async () => {
    await store.putMany(OTHER, [{ key: 'other-1', model: 'm', vector: vec(1, 1) }]);
    expect((await store.getMany(USER, ['other-1'])).size).toBe(0);
    // A colliding key of another user is left as it is.
    await store.putMany(USER, [{ key: 'other-1', model: 'm', vector: vec(9, 9) }]);
    expect(Array.from((await store.getMany(OTHER, ['other-1'])).get('other-1')!)).toEqual([1, 1]);

    const before = await store.count();
    expect(await store.eraseUser(USER)).toBe(before - 1);
    expect(await store.count()).toBe(1);
    expect(await store.eraseUser(USER)).toBe(0);
    expect((await store.getMany(OTHER, ['other-1'])).size).toBe(1);
  });
});
