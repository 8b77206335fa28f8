import { describe, expect, it } from 'vitest';
import { UnavailableError } from '@clinote/shared/errors.js';
import { runErasure, type ErasureSteps } from './saga.js';

/** A fake mesh holding one user's rows: steps delete what is there and count it, as the services do. */
function fakeMesh() {
  const state = { marked: false, record: true, encounters: 3, embeddings: 3, sops: 2, versions: 4, usage: 5, cache: 7, redis: 7, lru: 2 };
  const log: string[] = [];
  let embeddingDown = false;
  const take = (key: keyof typeof state): number => {
    const n = state[key] as number;
    (state[key] as number) = 0;
    return n;
  };
  const steps: ErasureSteps = {
    async markErasing() {
      log.push('mark');
      if (state.record) state.marked = true;
    },
    async eraseContext() {
      log.push('context');
      return { encounters: take('encounters'), encounterEmbeddings: take('embeddings'), sops: take('sops'), sopVersions: take('versions') };
    },
    async eraseEmbedding() {
      log.push('embedding');
      if (embeddingDown) throw new UnavailableError('embedding down');
      return { persistentEntries: take('cache'), redisKeys: take('redis'), lruEntries: take('lru') };
    },
    async eraseExtraction() {
      log.push('extraction');
      return { llmUsageRecords: take('usage') };
    },
    async deleteUserRecord() {
      log.push('record');
      const had = state.record;
      state.record = false;
      return had;
    },
  };
  return { state, log, steps, setEmbeddingDown: (down: boolean) => (embeddingDown = down) };
}

describe('runErasure', () => {
  it('marks the user, erases in every service, then deletes the record last, and counts it all', async () => {
    const mesh = fakeMesh();
    const summary = await runErasure(mesh.steps);
    expect(mesh.log[0]).toBe('mark');
    expect(mesh.log.at(-1)).toBe('record');
    expect(new Set(mesh.log.slice(1, 4))).toEqual(new Set(['context', 'embedding', 'extraction']));
    expect(summary).toEqual({
      encounters: 3,
      encounterEmbeddings: 3,
      sops: 2,
      sopVersions: 4,
      llmUsageRecords: 5,
      embeddingCacheEntries: 7,
      embeddingCacheRedisKeys: 7,
      embeddingCacheLruEntries: 2,
      userRecordDeleted: true,
    });
  });

  it('succeeds again after success, with nothing left to count', async () => {
    const mesh = fakeMesh();
    await runErasure(mesh.steps);
    const again = await runErasure(mesh.steps);
    expect(Object.values(again).every((v) => v === 0 || v === false)).toBe(true);
  });

  it('keeps the user marked and the record when a service fails, and completes on retry', async () => {
    const mesh = fakeMesh();
    mesh.setEmbeddingDown(true);
    await expect(runErasure(mesh.steps)).rejects.toBeInstanceOf(UnavailableError);
    // The other services finished their part; the record is kept, so the user stays refused.
    expect(mesh.state).toMatchObject({ marked: true, record: true, encounters: 0, usage: 0, cache: 7 });
    expect(mesh.log).not.toContain('record');

    mesh.setEmbeddingDown(false);
    const retried = await runErasure(mesh.steps);
    expect(retried).toMatchObject({ encounters: 0, llmUsageRecords: 0, embeddingCacheEntries: 7, userRecordDeleted: true });
    expect(mesh.state.record).toBe(false);
  });
});
