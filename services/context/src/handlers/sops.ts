import { randomUUID } from 'node:crypto';
import type {
  CreateSopRequest,
  CreateSopResponse,
  DeactivateSopRequest,
  DeactivateSopResponse,
  ListSopsRequest,
  ListSopsResponse,
  UpdateSopRequest,
  UpdateSopResponse,
} from '@clinote/shared/gen/clinote/context/v1/context.js';
import { NotFoundError, PermissionDeniedError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { requireUuids } from '@clinote/shared/validation.js';
import { sopFromEntity, validateSopDefinition } from '../domain/sop-definition.js';
import { SopSchema, SopVersionSchema, type SopEntity } from '../entities/sop.js';
import type { ContextDeps } from '../deps.js';

export async function createSop(deps: ContextDeps, req: CreateSopRequest, _ctx: CallContext): Promise<CreateSopResponse> {
  requireUuids({ user_id: req.userId });
  validateSopDefinition(req.name, req.sections);
  const now = new Date();
  const sop = await deps.orm.em.transactional(async (em) => {
    const created = em.create(SopSchema, {
      id: randomUUID(),
      userId: req.userId,
      name: req.name.trim(),
      version: 1,
      isActive: true,
      sections: req.sections,
      createdAt: now,
      updatedAt: now,
    });
    // The version row references the SOP row: flush the SOP first, in the same transaction.
    await em.flush();
    em.create(SopVersionSchema, { sopId: created.id, version: 1, name: created.name, sections: created.sections, createdAt: now });
    return created;
  });
  return { sop: sopFromEntity(sop) };
}

/** Loads a SOP the user owns: NOT_FOUND when absent, PERMISSION_DENIED when another user's. */
async function ownedSop(deps: ContextDeps, userId: string, sopId: string): Promise<SopEntity> {
  requireUuids({ user_id: userId, sop_id: sopId });
  const sop = await deps.orm.em.findOne(SopSchema, { id: sopId });
  if (!sop) throw new NotFoundError('sop', sopId);
  if (sop.userId !== userId) throw new PermissionDeniedError(`sop ${sopId} belongs to another user`);
  return sop;
}

export async function updateSop(deps: ContextDeps, req: UpdateSopRequest, _ctx: CallContext): Promise<UpdateSopResponse> {
  const sop = await ownedSop(deps, req.userId, req.sopId);
  validateSopDefinition(req.name, req.sections);
  const now = new Date();
  sop.name = req.name.trim();
  sop.sections = req.sections;
  sop.version += 1;
  sop.updatedAt = now;
  deps.orm.em.create(SopVersionSchema, { sopId: sop.id, version: sop.version, name: sop.name, sections: sop.sections, createdAt: now });
  await deps.orm.em.flush();
  return { sop: sopFromEntity(sop) };
}

export async function deactivateSop(
  deps: ContextDeps,
  req: DeactivateSopRequest,
  _ctx: CallContext,
): Promise<DeactivateSopResponse> {
  const sop = await ownedSop(deps, req.userId, req.sopId);
  if (sop.isActive) {
    sop.isActive = false;
    sop.updatedAt = new Date();
    await deps.orm.em.flush();
  }
  return { sop: sopFromEntity(sop) };
}

export async function listSops(deps: ContextDeps, req: ListSopsRequest, _ctx: CallContext): Promise<ListSopsResponse> {
  requireUuids({ user_id: req.userId });
  const where = req.includeInactive ? { userId: req.userId } : { userId: req.userId, isActive: true };
  const sops = await deps.orm.em.find(SopSchema, where, { orderBy: { createdAt: 'asc', id: 'asc' } });
  return { sops: sops.map(sopFromEntity) };
}
