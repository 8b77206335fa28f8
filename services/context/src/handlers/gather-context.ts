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
import { candidateFromRow, type CandidateRow } from '../candidates.js';
import type { CandidatePool } from '../domain/candidate-pool.js';
import { encounterFromEntity } from '../domain/encounter-mapping.js';
import { sopFromEntity } from '../domain/sop-definition.js';
import { EncounterSchema } from '../entities/encounter.js';
import { SopSchema } from '../entities/sop.js';
import type { ContextDeps } from '../deps.js';

/**
 * phase_2_context_gathering: the requested SOPs (one query), the idempotent replay if any (one query),
 * a count of the user's past encounters (one query) and, when the caller names the embedding model, those
 * encounters with their embeddings (one query, only when the pool is cold or stale).
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
    req.embeddingModel
      ? freshCandidatePool(deps, ctx.principal.userId, req.embeddingModel).then((pool) => pool.size)
      : storedEncounters(deps, ctx.principal.userId, undefined).then((stored) => stored.count),
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

/** Pools are per user and embedding model: vectors of different models are not comparable. */
export function poolKey(userId: string, embeddingModel: string): string {
  return `${userId}\u0000${embeddingModel}`;
}

/** Matches the keys of every pool of one user, whatever the model. */
export function isPoolOf(userId: string): (key: string) => boolean {
  const prefix = poolKey(userId, '');
  return (key) => key.startsWith(prefix);
}

interface StoredEncounters {
  count: number;
  /** created_at of the newest, in ms; 0 when there is none. */
  newestMs: number;
}

/** The user's stored encounters (embedded by one model, when given): an indexed count and newest time. */
async function storedEncounters(deps: ContextDeps, userId: string, embeddingModel: string | undefined): Promise<StoredEncounters> {
  const em = deps.orm.em.fork();
  const query = em
    .getKnex()
    .from({ e: 'context.encounter' })
    .where('e.user_id', userId)
    .select(em.getKnex().raw('count(*) as n, max(e.created_at) as newest'));
  if (embeddingModel !== undefined) query.join({ v: 'context.encounter_embedding' }, 'v.encounter_id', 'e.id').where('v.model', embeddingModel);
  const rows = await em.execute<{ n: string | number; newest: string | Date | null }[]>(query);
  const newest = rows[0]?.newest;
  return { count: Number(rows[0]?.n ?? 0), newestMs: newest ? new Date(newest).getTime() : 0 };
}

/**
 * The warm pool, reloaded when another replica saved or deleted encounters since it was loaded: the
 * count and the newest creation time tell whether the pool is current (the time still does when the
 * pool is capped at CONTEXT_POOL_MAX_ENCOUNTERS). A replica that deletes drops its own pools at once.
 */
export async function freshCandidatePool(deps: ContextDeps, userId: string, embeddingModel: string): Promise<CandidatePool> {
  const [stored, pool] = await Promise.all([
    storedEncounters(deps, userId, embeddingModel),
    candidatePool(deps, userId, embeddingModel),
  ]);
  if (pool.size === Math.min(stored.count, deps.config.CONTEXT_POOL_MAX_ENCOUNTERS) && newestIn(pool) === stored.newestMs) return pool;
  deps.candidatePools.invalidate(poolKey(userId, embeddingModel));
  return candidatePool(deps, userId, embeddingModel);
}

function newestIn(pool: CandidatePool): number {
  let newest = 0;
  for (let i = 0; i < pool.size; i++) newest = Math.max(newest, pool.createdAtMs(i));
  return newest;
}

function candidatePool(deps: ContextDeps, userId: string, embeddingModel: string): Promise<CandidatePool> {
  return deps.candidatePools.get(poolKey(userId, embeddingModel), async () => {
    const em = deps.orm.em.fork();
    const query = em
      .getKnex()
      .select('e.id', 'e.quality_score', 'e.concept_ids', 'e.filled_sections', 'e.token_count', 'e.created_at', 'v.vector')
      .from({ e: 'context.encounter' })
      .join({ v: 'context.encounter_embedding' }, 'v.encounter_id', 'e.id')
      .where('e.user_id', userId)
      .andWhere('v.model', embeddingModel)
      .orderBy([{ column: 'e.created_at', order: 'desc' }, { column: 'e.id', order: 'desc' }])
      .limit(deps.config.CONTEXT_POOL_MAX_ENCOUNTERS);
    // Through the ORM's connection, so the query is counted and timed like every other.
    const rows: CandidateRow[] = await em.execute(query);
    const records = rows.map(candidateFromRow);
    // One model, one size; should its configured size have changed, the newest size wins.
    const dimension = records[0]?.embedding.length;
    return records.filter((r) => r.embedding.length === dimension);
  });
}
