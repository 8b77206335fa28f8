import { setTimeout as delay } from 'node:timers/promises';
import { throwIfAborted } from '@clinote/shared/errors.js';
import type {
  DeleteEncounterRequest,
  DeleteEncounterResponse,
  DeleteExtractionRequest,
  DeleteExtractionResponse,
  DeleteUserRequest,
  DeleteUserResponse,
} from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { requireUuids } from '@clinote/shared/validation.js';
import { erasureTarget } from '../auth/target-user.js';
import type { GatewayDeps } from '../deps.js';
import { runErasure } from '../erasure/saga.js';
import { peersFor } from '../peers.js';

/** One encounter, imported or extracted: the context service answers NOT_FOUND for anyone else's id. */
export async function deleteEncounter(deps: GatewayDeps, req: DeleteEncounterRequest, ctx: CallContext): Promise<DeleteEncounterResponse> {
  const target = erasureTarget(ctx, req.userId);
  requireUuids({ encounter_id: req.encounterId });
  await peersFor(deps, { ...ctx, principal: target }).context((c) => c.deleteEncounter, {
    encounterId: req.encounterId,
    extractionsOnly: false,
  });
  return {};
}

/** One extraction: an encounter produced by Extract (extraction ids are encounter ids). */
export async function deleteExtraction(
  deps: GatewayDeps,
  req: DeleteExtractionRequest,
  ctx: CallContext,
): Promise<DeleteExtractionResponse> {
  const target = erasureTarget(ctx, req.userId);
  requireUuids({ extraction_id: req.extractionId });
  await peersFor(deps, { ...ctx, principal: target }).context((c) => c.deleteEncounter, {
    encounterId: req.extractionId,
    extractionsOnly: true,
  });
  return {};
}

/**
 * The erasure saga (erasure/saga.ts) for the caller, or for the named user when an admin asks. Every
 * peer step acts for the target user, so each service deletes that user's rows and nobody else's.
 */
export async function deleteUser(deps: GatewayDeps, req: DeleteUserRequest, ctx: CallContext): Promise<DeleteUserResponse> {
  const target = erasureTarget(ctx, req.userId);
  const asTarget = peersFor(deps, { ...ctx, principal: target });
  const summary = await runErasure({
    markErasing: async () => {
      await deps.users.markErasing(target.userId);
      deps.auth.noteErasing(target.userId);
      // Other replicas trust a clinician's state for up to this long: erase only once all refuse their calls.
      await delay(deps.auth.erasureGraceMs, undefined, { signal: ctx.signal }).catch(() => throwIfAborted(ctx.signal));
    },
    eraseContext: () => asTarget.context((c) => c.eraseUserData, {}),
    eraseEmbedding: () => asTarget.embedding((c) => c.eraseUser, {}),
    eraseExtraction: () => asTarget.extraction((c) => c.eraseUser, {}),
    deleteUserRecord: () => deps.users.deleteUser(target.userId),
  });
  // The subject's next call provisions a new, empty clinician.
  deps.auth.forget(target.userId);
  ctx.logger.info({ target_user_id: target.userId, on_behalf: target.userId !== ctx.principal.userId, ...summary }, 'user erased');
  return { summary };
}
