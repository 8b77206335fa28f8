import type { ContextServiceClient } from '@clinote/shared/gen/clinote/context/v1/context.js';
import type { UnaryMethod } from '@clinote/shared/grpc-client.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { actingUserId } from '../auth/acting-user.js';
import type { GatewayDeps } from '../deps.js';
import { peersFor } from '../peers.js';

/**
 * SOPs live in the context service, which validates them and scopes them to the caller's identity
 * token; the gateway checks the request acts for the caller, then forwards it.
 */
function forwardToContext<Req extends { userId: string }, Res>(method: (client: ContextServiceClient) => UnaryMethod<Req, Res>) {
  return async (deps: GatewayDeps, req: Req, ctx: CallContext): Promise<Res> => {
    const userId = actingUserId(ctx, req.userId);
    return peersFor(deps, ctx).context(method, { ...req, userId });
  };
}

export const createSop = forwardToContext((c) => c.createSop);
export const updateSop = forwardToContext((c) => c.updateSop);
export const deactivateSop = forwardToContext((c) => c.deactivateSop);
export const listSops = forwardToContext((c) => c.listSops);
