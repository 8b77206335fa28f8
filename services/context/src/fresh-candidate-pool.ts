import type { EntityManager } from '@mikro-orm/postgresql';
import { candidateFromRow } from './candidates.js';
import type { CandidatePool, CandidateRecord } from './domain/candidate-pool.js';
import { poolRefresh } from './domain/pool-freshness.js';
import { loadCandidateRows, readHistoryMark } from './repositories/encounter-history.js';
import type { ContextDeps } from './deps.js';

/** Pools are per user and embedding model: vectors of different models are not comparable. */
export function poolKey(userId: string, embeddingModel: string): string {
  return `${userId}\u0000${embeddingModel}`;
}

/** Matches the keys of every pool of one user, whatever the model. */
export function isPoolOf(userId: string): (key: string) => boolean {
  const prefix = poolKey(userId, '');
  return (key) => key.startsWith(prefix);
}

/**
 * The user's warm pool, current with what any replica stored: one primary-key read of the history
 * mark, then at most one query: every candidate when the pool is cold or encounters were deleted
 * since (a new generation), else only the encounters stored after the pool's mark. Saves, however
 * many and however concurrent, never reload the pool. The cost does not grow with the history.
 * `em` is the caller's (a transaction's, so its other reads share one BEGIN and identity).
 */
export async function freshCandidatePool(deps: ContextDeps, em: EntityManager, userId: string, embeddingModel: string): Promise<CandidatePool> {
  const key = poolKey(userId, embeddingModel);
  const stored = await readHistoryMark(em, userId);
  let pool = await deps.candidatePools.get(key, () => loadAll(deps, em, userId, embeddingModel), stored);
  let refresh = poolRefresh(pool.history, stored);
  if (refresh === 'newer') {
    const newer = await loadNewer(deps, em, userId, embeddingModel, pool.history!.seq);
    // Another vector size (the embedder changed), or an empty pool's placeholder size: rebuild.
    if (newer.some((r) => r.embedding.length !== pool.dimension) || (pool.size === 0 && newer.length > 0)) refresh = 'reload';
    else deps.candidatePools.extend(key, pool, newer, stored);
  }
  if (refresh === 'reload') {
    deps.candidatePools.invalidate(key);
    pool = await deps.candidatePools.get(key, () => loadAll(deps, em, userId, embeddingModel), stored);
  }
  return pool;
}

async function loadAll(deps: ContextDeps, em: EntityManager, userId: string, embeddingModel: string): Promise<CandidateRecord[]> {
  const rows = await loadCandidateRows(em, userId, embeddingModel, { limit: deps.config.CONTEXT_POOL_MAX_ENCOUNTERS });
  const records = rows.map(candidateFromRow);
  // One model, one size; should its configured size have changed, the newest size wins.
  const dimension = records[0]?.embedding.length;
  return records.filter((r) => r.embedding.length === dimension);
}

async function loadNewer(deps: ContextDeps, em: EntityManager, userId: string, embeddingModel: string, afterSeq: number): Promise<CandidateRecord[]> {
  const rows = await loadCandidateRows(em, userId, embeddingModel, {
    afterSeq,
    limit: deps.config.CONTEXT_POOL_MAX_ENCOUNTERS,
  });
  return rows.map(candidateFromRow);
}
