import type { EraseUserRequest, EraseUserResponse } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { EmbeddingDeps } from '../deps.js';

/** Every cache entry of the identity token's clinician (a step of the gateway's erasure saga). */
export async function eraseUser(deps: EmbeddingDeps, _req: EraseUserRequest, ctx: CallContext): Promise<EraseUserResponse> {
  const erased = await deps.cache.eraseUser(ctx.principal.userId);
  ctx.logger.info({ lru_entries: erased.lruEntries, redis_keys: erased.redisKeys, persistent_entries: erased.persistentEntries }, 'user cache erased');
  return erased;
}
