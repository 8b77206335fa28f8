import type { GetCacheStatsRequest, GetCacheStatsResponse } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { EmbeddingDeps } from '../deps.js';

export async function getCacheStats(
  deps: EmbeddingDeps,
  _req: GetCacheStatsRequest,
  _ctx: CallContext,
): Promise<GetCacheStatsResponse> {
  await deps.cache.refreshTotalEntries();
  const s = deps.cache.stats();
  return {
    hitRate: s.hitRate,
    totalEntries: s.totalEntries,
    hitsLru: s.hitsLru,
    hitsRedis: s.hitsRedis,
    hitsPersistent: s.hitsPersistent,
    misses: s.misses,
    evictions: s.evictions,
    lruBytes: s.lruBytes,
    nearDuplicateReuses: s.nearDuplicateReuses,
    lruEntries: s.lruEntries,
    providerCalls: s.providerCalls,
    redisErrors: s.redisErrors,
  };
}
