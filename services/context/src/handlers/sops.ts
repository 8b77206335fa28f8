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
import { NotFoundError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { requireUuids } from '@clinote/shared/validation.js';
import { sopFromEntity, validateSopDefinition } from '../domain/sop-definition.js';
import { SopSchema, SopVersionSchema, type SopEntity } from '../entities/sop.js';
import type { ContextDeps } from '../deps.js';

export async function createSop(deps: ContextDeps, req: CreateSopRequest, ctx: CallContext): Promise<CreateSopResponse> {
  validateSopDefinition(req.name, req.sections);
  const now = new Date();
  const sop = await deps.orm.em.transactional(async (em) => {
    const created = em.create(SopSchema, {
      id: randomUUID(),
      userId: ctx.principal.userId,
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
  requireUuids({ sop_id: sopId });
  const sop = await deps.orm.em.findOne(SopSchema, { id: sopId });
  // Another user's SOP is reported as absent: ids must not reveal what exists.
  if (!sop || sop.userId !== userId) throw new NotFoundError('sop', sopId);
  return sop;
}

export async function updateSop(deps: ContextDeps, req: UpdateSopRequest, ctx: CallContext): Promise<UpdateSopResponse> {
  const sop = await ownedSop(deps, ctx.principal.userId, req.sopId);
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
  ctx: CallContext,
): Promise<DeactivateSopResponse> {
  const sop = await ownedSop(deps, ctx.principal.userId, req.sopId);
  if (sop.isActive) {
    sop.isActive = false;
    sop.updatedAt = new Date();
    await deps.orm.em.flush();
  }
  return { sop: sopFromEntity(sop) };
}

export async function listSops(deps: ContextDeps, req: ListSopsRequest, ctx: CallContext): Promise<ListSopsResponse> {
  const where = req.includeInactive ? { userId: ctx.principal.userId } : { userId: ctx.principal.userId, isActive: true };
  const sops = await deps.orm.em.find(SopSchema, where, { orderBy: { createdAt: 'asc', id: 'asc' } });
  return { sops: sops.map(sopFromEntity) };
}
