import type { GatherContextRequest, GatherContextResponse } from '@clinote/shared/gen/clinote/context/v1/context.js';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import {
  FailedPreconditionError,
  NotFoundError,
  ValidationError,
  type FieldViolation,
} from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { uuidViolations } from '@clinote/shared/validation.js';
import { encounterFromEntity } from '../domain/encounter-mapping.js';
import { sopFromEntity } from '../domain/sop-definition.js';
import { EncounterSchema } from '../entities/encounter.js';
import { SopSchema } from '../entities/sop.js';
import type { ContextDeps } from '../deps.js';
import { freshCandidatePool } from '../fresh-candidate-pool.js';

/**
 * phase_2_context_gathering: the requested SOPs (one query), the idempotent replay if any (one query),
 * and, when the caller names the embedding model, the warm pool brought current (the history mark, one
 * primary-key read, and only when it moved, the encounters stored since; all of them only when cold or
 * after a deletion); without a model the pool is left to selection (candidate_count 0).
 * The number of queries never depends on how many encounters the user has.
 */
export async function gatherContext(
  deps: ContextDeps,
  req: GatherContextRequest,
  ctx: CallContext,
): Promise<GatherContextResponse> {
  const violations: FieldViolation[] = [];
  req.sopIds.forEach((id, i) => violations.push(...uuidViolations({ [`sop_ids[${i}]`]: id })));
  if (req.sopIds.length === 0) violations.push({ field: 'sop_ids', description: 'at least one SOP id is required' });
  if (violations.length > 0) throw new ValidationError(violations);

  const [sops, existing, candidateCount] = await Promise.all([
    requestedSops(deps, ctx.principal.userId, req.sopIds),
    req.idempotencyKey
      ? deps.orm.em.fork().findOne(EncounterSchema, { userId: ctx.principal.userId, idempotencyKey: req.idempotencyKey })
      : Promise.resolve(null),
    req.embeddingModel ? freshCandidatePool(deps, ctx.principal.userId, req.embeddingModel).then((pool) => pool.size) : 0,
  ]);
  return { sops, candidateCount, existing: existing ? encounterFromEntity(existing) : undefined };
}

/** The SOPs in request order; refuses unknown, foreign and inactive ones precisely. */
export async function requestedSops(deps: ContextDeps, userId: string, sopIds: string[]): Promise<Sop[]> {
  const rows = await deps.orm.em.fork().find(SopSchema, { id: { $in: sopIds } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return sopIds.map((id) => {
    const row = byId.get(id);
    // Another user's SOP is reported as absent: ids must not reveal what exists.
    if (!row || row.userId !== userId) throw new NotFoundError('sop', id);
    if (!row.isActive) throw new FailedPreconditionError(`sop ${id} is deactivated`);
    return sopFromEntity(row);
  });
}
