import { describe, expect, it } from 'vitest';
import { ValidationError } from '@clinote/shared/errors.js';
import { CandidatePool, CandidatePoolCache, type CandidateRecord } from './candidate-pool.js';
import { record, seededRandom, unitVector } from './test-fixtures.js';

function bruteForceTop(records: CandidateRecord[], query: Float32Array, k: number): string[] {
  const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
  return records
    .map((r) => ({ id: r.id, s: dot(r.embedding, query) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((r) => r.id);
}

/** A promise with its resolver, so a test controls when a load finishes. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('CandidatePool', () => {
  it.each([7, 256, 768])('finds the exact top-k by cosine (dimension %i, SIMD kernel vs brute force)', (dimension) => {
    const random = seededRandom(dimension);
    const records = Array.from({ length: 5000 }, (_, i) => record(`e${i}`, unitVector(dimension, random)));
    const pool = CandidatePool.from(records);
    const query = unitVector(dimension, random);
    const top = pool.topBySimilarity(query, 20);
    expect(Array.from(top.indexes, (i) => pool.idAt(i))).toEqual(bruteForceTop(records, query, 20));
    for (let i = 1; i < top.similarities.length; i++) expect(top.similarities[i]!).toBeLessThanOrEqual(top.similarities[i - 1]!);
  });

  it('normalises vectors so a dot product is the cosine', () => {
    const pool = CandidatePool.from([record('a', Float32Array.from([3, 4])), record('b', Float32Array.from([0, 0]))]);
    const top = pool.topBySimilarity(Float32Array.from([6, 8]), 2);
    expect(pool.idAt(top.indexes[0]!)).toBe('a');
    expect(top.similarities[0]).toBeCloseTo(1, 6);
    expect(top.similarities[1]).toBe(0);
  });

  it('replaces a re-saved encounter in place and grows past its capacity', () => {
    const random = seededRandom(1);
    const pool = new CandidatePool(16, 2);
    for (let i = 0; i < 50; i++) pool.upsert(record(`e${i}`, unitVector(16, random), { conceptIds: [5, 3, 3] }));
    const target = unitVector(16, random);
    pool.upsert(record('e10', target, { qualityScore: 0.3, conceptIds: [9, 1, 2, 4, 8, 7], tokenCount: 42 }));
    expect(pool.size).toBe(50);
    const top = pool.topBySimilarity(target, 1);
    expect(pool.idAt(top.indexes[0]!)).toBe('e10');
    expect(pool.qualityAt(top.indexes[0]!)).toBeCloseTo(0.3, 6);
    expect(pool.tokenCountAt(top.indexes[0]!)).toBe(42);
    expect(Array.from(pool.conceptIdsAt(top.indexes[0]!))).toEqual([1, 2, 4, 7, 8, 9]);
    expect(Array.from(pool.conceptIdsAt(top.indexes[0]! + 1))).toEqual([3, 5]);
  });

  it('rejects vectors of another dimension with a validation error', () => {
    const pool = new CandidatePool(4);
    expect(() => pool.upsert(record('a', new Float32Array(3)))).toThrow(ValidationError);
    expect(() => pool.topBySimilarity(new Float32Array(5), 3)).toThrow(ValidationError);
  });

  it('holds 100,000 candidates and still returns the exact nearest one', () => {
    const dimension = 256;
    const random = seededRandom(100_000);
    const pool = new CandidatePool(dimension, 100_000);
    let probe: Float32Array = new Float32Array(dimension);
    for (let i = 0; i < 100_000; i++) {
      const embedding = unitVector(dimension, random);
      if (i === 77_777) probe = embedding;
      pool.upsert(record(`e${i}`, embedding));
    }
    expect(pool.size).toBe(100_000);
    const top = pool.topBySimilarity(probe, 64);
    expect(top.indexes.length).toBe(64);
    expect(pool.idAt(top.indexes[0]!)).toBe('e77777');
    expect(top.similarities[0]).toBeCloseTo(1, 5);
  });
});

describe('CandidatePool eviction', () => {
  it('drops the oldest candidates beyond a bound, keeping every other row intact', () => {
    const random = seededRandom(11);
    const at = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 60_000);
    const records = Array.from({ length: 50 }, (_, i) =>
      record(`e${i}`, unitVector(24, random), { createdAt: at(i), tokenCount: i, conceptIds: [i + 1, i + 2] }),
    );
    const pool = CandidatePool.from([...records].reverse());
    expect(pool.evictOldest(30)).toBe(20);
    expect(pool.size).toBe(30);
    const kept = records.slice(20);
    for (const r of records.slice(0, 20)) expect(pool.has(r.id)).toBe(false);
    for (let i = 0; i < pool.size; i++) {
      const original = kept.find((r) => r.id === pool.idAt(i))!;
      expect(pool.tokenCountAt(i)).toBe(original.tokenCount);
      expect(Array.from(pool.conceptIdsAt(i))).toEqual(Array.from(original.conceptIds));
      expect(pool.createdAtMs(i)).toBe(original.createdAt.getTime());
    }
    const query = kept[7]!.embedding;
    expect(pool.idAt(pool.topBySimilarity(query, 1).indexes[0]!)).toBe(kept[7]!.id);
    // Rows appended after evictions take fresh concept slots, leaving the others' untouched.
    pool.upsert(record('late', unitVector(24, random), { createdAt: at(99), conceptIds: [7, 8, 9] }));
    expect(Array.from(pool.conceptIdsAt(pool.size - 1))).toEqual([7, 8, 9]);
    for (let i = 0; i < pool.size - 1; i++) {
      const original = kept.find((r) => r.id === pool.idAt(i))!;
      expect(Array.from(pool.conceptIdsAt(i))).toEqual(Array.from(original.conceptIds));
    }
  });

  it('keeps its concept storage bounded under a stream of evictions', () => {
    const random = seededRandom(12);
    const pool = new CandidatePool(16);
    const concepts = Array.from({ length: 100 }, (_, i) => i + 1);
    for (let i = 0; i < 2000; i++) {
      pool.upsert(record(`e${i}`, unitVector(16, random), { createdAt: new Date(i), conceptIds: concepts }));
      pool.evictOldest(10);
    }
    expect(pool.size).toBe(10);
    expect(pool.byteSize).toBeLessThan(200_000);
    for (let i = 0; i < pool.size; i++) expect(pool.conceptIdsAt(i).length).toBe(100);
  });
});

describe('CandidatePoolCache', () => {
  const random = seededRandom(7);
  const records = Array.from({ length: 10 }, (_, i) => record(`e${i}`, unitVector(8, random)));

  it('loads once for concurrent gets (single-flight) and serves later gets warm', async () => {
    const cache = new CandidatePoolCache();
    let loads = 0;
    const gate = deferred<CandidateRecord[]>();
    const loader = (): Promise<CandidateRecord[]> => {
      loads++;
      return gate.promise;
    };
    const gets = [cache.get('u1', loader), cache.get('u1', loader), cache.get('u1', loader)];
    gate.resolve(records);
    const pools = await Promise.all(gets);
    expect(loads).toBe(1);
    expect(pools[1]).toBe(pools[0]);
    expect(await cache.get('u1', loader)).toBe(pools[0]);
    expect(loads).toBe(1);
    expect(cache.stats()).toMatchObject({ users: 1, loads: 1, coalesced: 2, hits: 1 });
  });

  it('invalidateMatching drops every matching pool and load in flight, and no other', async () => {
    const cache = new CandidatePoolCache();
    const loader = async (): Promise<CandidateRecord[]> => records;
    const kept = await cache.get('u2\u0000model-a', loader);
    await cache.get('u1\u0000model-a', loader);
    await cache.get('u1\u0000model-b', loader);
    const gate = deferred<CandidateRecord[]>();
    const inFlight = cache.get('u1\u0000model-c', () => gate.promise);
    expect(cache.invalidateMatching((key) => key.startsWith('u1\u0000'))).toBe(2);
    gate.resolve(records);
    await inFlight;
    expect(cache.stats().users).toBe(1);
    expect(await cache.get('u2\u0000model-a', loader)).toBe(kept);
  });

  it('invalidate forces a reload; a load invalidated in flight is not kept', async () => {
    const cache = new CandidatePoolCache();
    let loads = 0;
    const loader = async (): Promise<CandidateRecord[]> => {
      loads++;
      return records;
    };
    const first = await cache.get('u1', loader);
    cache.invalidate('u1');
    const second = await cache.get('u1', loader);
    expect(second).not.toBe(first);
    expect(loads).toBe(2);

    const gate = deferred<CandidateRecord[]>();
    const inFlight = cache.get('u2', () => gate.promise);
    cache.invalidate('u2');
    gate.resolve(records);
    await inFlight;
    const fresh = await cache.get('u2', loader);
    expect(fresh).not.toBe(await inFlight);
    expect(loads).toBe(3);
  });

  it('append adds a saved encounter to a warm pool, or to a load in flight, without reloading', async () => {
    const cache = new CandidatePoolCache();
    let loads = 0;
    const loader = async (): Promise<CandidateRecord[]> => {
      loads++;
      return records;
    };
    const pool = await cache.get('u1', loader);
    const saved = record('new', unitVector(8, random));
    cache.append('u1', saved);
    expect(pool.size).toBe(11);
    expect(pool.idAt(pool.topBySimilarity(saved.embedding, 1).indexes[0]!)).toBe('new');

    const gate = deferred<CandidateRecord[]>();
    const loading = cache.get('u2', () => gate.promise);
    cache.append('u2', saved);
    gate.resolve(records);
    expect((await loading).has('new')).toBe(true);
    // A cold user: nothing to update, the next load reads the database.
    cache.append('u3', saved);
    expect(cache.stats().users).toBe(2);
    expect(loads).toBe(1);
  });

  it('extend adds only the newer encounters and moves the mark; append moves it for the next number only', async () => {
    const cache = new CandidatePoolCache({ maxEncounters: 11 });
    const pool = await cache.get('u1', async () => records, { seq: 10, generation: 3 });
    expect(pool.history).toEqual({ seq: 10, generation: 3 });
    cache.append('u1', record('s11', unitVector(8, random), { createdAt: new Date('2030-01-01') }), 11);
    expect(pool.history).toEqual({ seq: 11, generation: 3 });
    // Another replica stored 12 and 13: a save numbered 14 here cannot move the mark past them.
    cache.append('u1', record('s14', unitVector(8, random), { createdAt: new Date('2030-01-04') }), 14);
    expect(pool.history).toEqual({ seq: 11, generation: 3 });
    const newer = [14, 13, 12].map((n) => record(`s${n}`, unitVector(8, random), { createdAt: new Date(`2030-01-0${n - 10}`) }));
    cache.extend('u1', pool, newer, { seq: 14, generation: 3 });
    expect(pool.history).toEqual({ seq: 14, generation: 3 });
    // Capped at 11: the oldest went, the four new ones are in.
    expect(pool.size).toBe(11);
    for (const id of ['s11', 's12', 's13', 's14']) expect(pool.has(id)).toBe(true);
    // A slower refresh with an older mark does not move it back.
    cache.extend('u1', pool, [], { seq: 12, generation: 3 });
    expect(pool.history).toEqual({ seq: 14, generation: 3 });
    expect(cache.stats()).toMatchObject({ loads: 1, extends: 2, rowsLoaded: records.length + 3 });
  });

  it('evicts the least recently used user beyond the bound', async () => {
    const cache = new CandidatePoolCache({ maxUsers: 2 });
    const loader = async (): Promise<CandidateRecord[]> => records;
    const a = await cache.get('a', loader);
    await cache.get('b', loader);
    await cache.get('a', loader);
    await cache.get('c', loader);
    expect(cache.stats().users).toBe(2);
    expect(await cache.get('a', loader)).toBe(a);
    expect(cache.stats().loads).toBe(3);
    await cache.get('b', loader); // b was evicted
    expect(cache.stats().loads).toBe(4);
  });

  it('propagates a failed load and lets the next get retry', async () => {
    const cache = new CandidatePoolCache();
    await expect(cache.get('u1', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect((await cache.get('u1', async () => records)).size).toBe(10);
  });
});
