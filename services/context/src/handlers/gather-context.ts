import type { GatherContextRequest, GatherContextResponse } from '@clinote/shared/gen/clinote/context/v1/context.js';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import {
  FailedPreconditionError,
  NotFoundError,
  ValidationError,
  type FieldViolation,
} from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidViolations } from '@clinote/shared/validation.js';
import { encounterFromEntity } from '../domain/encounter-mapping.js';
import { sopFromEntity } from '../domain/sop-definition.js';
import { EncounterSchema } from '../entities/encounter.js';
import { sopsByIds } from '../repositories/sops.js';
import type { ContextDeps } from '../deps.js';
import { freshCandidatePool } from '../fresh-candidate-pool.js';

/**
 * phase_2_context_gathering: the requested SOPs, the idempotent replay if a key is given, and, when
 * the caller names the embedding model, the warm pool brought current (the history mark, one
 * primary-key read, and only when it moved, the encounters stored since; all of them only when cold or
 * after a deletion); without a model the pool is left to selection (candidate_count 0). More than one
 * read share one transaction. The number of queries never depends on how many encounters the user has.
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

  const userId = ctx.principal.userId;
  // One statement, or with a key or a model, one transaction (one BEGIN, one identity) for all of them.
  const read = async (em: EntityManager) => {
    const sops = await requestedSops(em, userId, req.sopIds);
    const existing = req.idempotencyKey ? await em.findOne(EncounterSchema, { userId, idempotencyKey: req.idempotencyKey }) : null;
    const candidateCount = req.embeddingModel ? (await freshCandidatePool(deps, em, userId, req.embeddingModel)).size : 0;
    return { sops, candidateCount, existing: existing ? encounterFromEntity(existing) : undefined };
  };
  const fork = deps.orm.em.fork();
  return req.idempotencyKey || req.embeddingModel ? fork.transactional(read) : read(fork);
}

/** The SOPs in request order; refuses unknown, foreign and inactive ones precisely. */
export async function requestedSops(em: EntityManager, userId: string, sopIds: string[]): Promise<Sop[]> {
  const rows = await sopsByIds(em, sopIds);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return sopIds.map((id) => {
    const row = byId.get(id);
    // Another user's SOP is reported as absent: ids must not reveal what exists.
    if (!row || row.userId !== userId) throw new NotFoundError('sop', id);
    if (!row.isActive) throw new FailedPreconditionError(`sop ${id} is deactivated`);
    return sopFromEntity(row);
  });
}
