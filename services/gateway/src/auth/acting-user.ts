import { PermissionDeniedError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';

/**
 * The user a request acts for: always the authenticated caller. A request's `user_id` may be empty
 * (the caller) or the caller's own id; anyone else's is refused.
 */
export function actingUserId(ctx: Pick<CallContext, 'principal'>, requested: string): string {
  if (requested === '' || requested.toLowerCase() === ctx.principal.userId) return ctx.principal.userId;
  throw new PermissionDeniedError('a request may only act for the authenticated caller');
}
