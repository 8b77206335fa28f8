import type {
  GetEncounterRequest,
  GetEncounterResponse,
  ListEncountersRequest,
  ListEncountersResponse,
} from '@clinote/shared/gen/clinote/context/v1/context.js';
import { NotFoundError, ValidationError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { requireUuids } from '@clinote/shared/validation.js';
import { decodePageToken, encodePageToken, encounterFromEntity } from '../domain/encounter-mapping.js';
import { EncounterSchema } from '../entities/encounter.js';
import type { ContextDeps } from '../deps.js';

export async function getEncounter(deps: ContextDeps, req: GetEncounterRequest, ctx: CallContext): Promise<GetEncounterResponse> {
  requireUuids({ encounter_id: req.encounterId });
  // Another user's encounter is reported as absent: ids must not reveal what exists.
  const where = req.extractionsOnly
    ? { id: req.encounterId, userId: ctx.principal.userId, source: 'extracted' as const }
    : { id: req.encounterId, userId: ctx.principal.userId };
  const found = await deps.orm.em.findOne(EncounterSchema, where);
  if (!found) throw new NotFoundError('encounter', req.encounterId);
  return { encounter: encounterFromEntity(found) };
}

const MAX_PAGE = 100;

/** Newest first, keyset-paged on (created_at, id) through the (user_id, created_at) index. */
export async function listEncounters(
  deps: ContextDeps,
  req: ListEncountersRequest,
  ctx: CallContext,
): Promise<ListEncountersResponse> {
  if (req.pageSize < 0 || req.pageSize > MAX_PAGE) throw ValidationError.field('page_size', `must be within [0, ${MAX_PAGE}]`);
  const pageSize = req.pageSize || 20;
  const cursor = decodePageToken(req.pageToken, ctx.principal.userId);
  const where: Record<string, unknown> = { userId: ctx.principal.userId };
  if (req.extractionsOnly) where.source = 'extracted';
  if (cursor) {
    where.$or = [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $lt: cursor.id } }];
  }
  const rows = await deps.orm.em.find(EncounterSchema, where, {
    orderBy: { createdAt: 'desc', id: 'desc' },
    limit: pageSize + 1,
  });
  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  return {
    encounters: page.map(encounterFromEntity),
    nextPageToken: rows.length > pageSize && last ? encodePageToken(last, ctx.principal.userId) : '',
  };
}
