import type { Principal } from '@clinote/shared/auth/principal.js';
import { PermissionDeniedError, ValidationError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { isUuid } from '@clinote/shared/validation.js';

/**
 * Whose data an erasure acts on, as the principal its peer calls act for: the caller (empty user_id,
 * or their own), or, for an admin only, the named user. Acting for the target (identity token and
 * row-level security alike) keeps every step scoped to that one user's rows, whoever asked.
 */
export function erasureTarget(ctx: Pick<CallContext, 'principal'>, requested: string): Principal {
  if (requested === '' || requested.toLowerCase() === ctx.principal.userId) return ctx.principal;
  if (!ctx.principal.admin) throw new PermissionDeniedError("only an admin may erase another clinician's data");
  if (!isUuid(requested)) throw ValidationError.field('user_id', 'must be a UUID');
  return { userId: requested.toLowerCase(), admin: true };
}
