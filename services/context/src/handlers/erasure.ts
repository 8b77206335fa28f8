import type {
  DeleteEncounterRequest,
  DeleteEncounterResponse,
  EraseUserDataRequest,
  EraseUserDataResponse,
} from '@clinote/shared/gen/clinote/context/v1/context.js';
import { NotFoundError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { requireUuids } from '@clinote/shared/validation.js';
import type { ContextDeps } from '../deps.js';
import { deleteEncounter as deleteEncounterRow, eraseUserData as eraseUserRows } from '../repositories/user-data.js';
import { isPoolOf } from '../fresh-candidate-pool.js';

/** One encounter of the identity token's clinician; another's id is as absent as an unknown one. */
export async function deleteEncounter(deps: ContextDeps, req: DeleteEncounterRequest, ctx: CallContext): Promise<DeleteEncounterResponse> {
  requireUuids({ encounter_id: req.encounterId });
  const userId = ctx.principal.userId;
  const deleted = await deleteEncounterRow(deps.orm.em, userId, req.encounterId, { extractionsOnly: req.extractionsOnly });
  if (!deleted) throw new NotFoundError('encounter', req.encounterId);
  // Warm pools must not offer it as context again.
  deps.candidatePools.invalidateMatching(isPoolOf(userId));
  ctx.logger.info({ encounter_id: req.encounterId }, 'encounter deleted');
  return {};
}

/** Everything of the identity token's clinician in this service (a step of the gateway's erasure saga). */
export async function eraseUserData(deps: ContextDeps, _req: EraseUserDataRequest, ctx: CallContext): Promise<EraseUserDataResponse> {
  const userId = ctx.principal.userId;
  const erased = await eraseUserRows(deps.orm.em, userId);
  const pools = deps.candidatePools.invalidateMatching(isPoolOf(userId));
  ctx.logger.info({ ...erased, warm_pools: pools }, 'user data erased');
  return erased;
}
