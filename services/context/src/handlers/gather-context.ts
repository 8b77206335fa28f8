import type { GatherContextRequest, GatherContextResponse } from '@clinote/shared/gen/clinote/context/v1/context.js';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import {
  FailedPreconditionError,
  NotFoundError,
  PermissionDeniedError,
  ValidationError,
} from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { uuidViolations } from '@clinote/shared/validation.js';
import { candidateFromRow, type CandidateRow } from '../candidates.js';
import type { CandidatePool } from '../domain/candidate-pool.js';
import { encounterFromEntity } from '../domain/encounter-mapping.js';
import { sopFromEntity } from '../domain/sop-definition.js';
import { EncounterSchema } from '../entities/encounter.js';
import { SopSchema } from '../entities/sop.js';
import type { ContextDeps } from '../deps.js';

/**
 * phase_2_context_gathering: the requested SOPs (one query), the idempotent replay if any (one query)
 * and the user's past encounters with their embeddings (one query, only when the pool is cold).
 * The number of queries never depends on how many encounters the user has.
 */
export async function gatherContext(
  deps: ContextDeps,
  req: GatherContextRequest,
  _ctx: CallContext,
): Promise<GatherContextResponse> {
  const violations = uuidViolations({ user_id: req.userId });
  req.sopIds.forEach((id, i) => violations.push(...uuidViolations({ [`sop_ids[${i}]`]: id })));
  if (req.sopIds.length === 0) violations.push({ field: 'sop_ids', description: 'at least one SOP id is required' });
  if (violations.length > 0) throw new ValidationError(violations);

  const [sops, existing, pool] = await Promise.all([
    requestedSops(deps, req.userId, req.sopIds),
    req.idempotencyKey
      ? deps.orm.em.fork().findOne(EncounterSchema, { userId: req.userId, idempotencyKey: req.idempotencyKey })
      : Promise.resolve(null),
    freshCandidatePool(deps, req.userId),
  ]);
  return { sops, candidateCount: pool.size, existing: existing ? encounterFromEntity(existing) : undefined };
}

/** The SOPs in request order; refuses unknown, foreign and inactive ones precisely. */
export async function requestedSops(deps: ContextDeps, userId: string, sopIds: string[]): Promise<Sop[]> {
  const rows = await deps.orm.em.fork().find(SopSchema, { id: { $in: sopIds } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return sopIds.map((id) => {
    const row = byId.get(id);
    if (!row) throw new NotFoundError('sop', id);
    if (row.userId !== userId) throw new PermissionDeniedError(`sop ${id} belongs to another user`);
    if (!row.isActive) throw new FailedPreconditionError(`sop ${id} is deactivated`);
    return sopFromEntity(row);
  });
}

/**
 * The warm pool, reloaded when another replica saved encounters since it was loaded: encounters are
 * only ever inserted, so an indexed count of the user's encounters tells whether the pool is current.
 */
async function freshCandidatePool(deps: ContextDeps, userId: string): Promise<CandidatePool> {
  const em = deps.orm.em.fork();
  const [rows, pool] = await Promise.all([
    em.execute<{ n: string | number }[]>(em.getKnex().from('context.encounter').where('user_id', userId).count({ n: '*' })),
    candidatePool(deps, userId),
  ]);
  const stored = Math.min(Number(rows[0]?.n ?? 0), deps.config.CONTEXT_POOL_MAX_ENCOUNTERS);
  if (pool.size === stored) return pool;
  deps.candidatePools.invalidate(userId);
  return candidatePool(deps, userId);
}

export function candidatePool(deps: ContextDeps, userId: string): Promise<CandidatePool> {
  return deps.candidatePools.get(userId, async () => {
    const em = deps.orm.em.fork();
    const query = em
      .getKnex()
      .select('e.id', 'e.quality_score', 'e.concept_ids', 'e.filled_sections', 'e.token_count', 'e.created_at', 'v.vector')
      .from({ e: 'context.encounter' })
      .join({ v: 'context.encounter_embedding' }, 'v.encounter_id', 'e.id')
      .where('e.user_id', userId)
      .orderBy([{ column: 'e.created_at', order: 'desc' }, { column: 'e.id', order: 'desc' }])
      .limit(deps.config.CONTEXT_POOL_MAX_ENCOUNTERS);
    // Through the ORM's connection, so the query is counted and timed like every other.
    const rows: CandidateRow[] = await em.execute(query);
    return rows.map(candidateFromRow);
  });
}
