import type { ContextServiceClient } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { callUnary, type UnaryMethod } from '@clinote/shared/grpc-client.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { GatewayDeps } from '../deps.js';
import { findUser } from './users.js';

/**
 * SOPs live in the context service, which validates them; the gateway checks the user exists, then
 * forwards the request unchanged (the public and internal messages have the same fields).
 */
function forwardToContext<Req extends { userId: string }, Res>(method: (client: ContextServiceClient) => UnaryMethod<Req, Res>) {
  return async (deps: GatewayDeps, req: Req, ctx: CallContext): Promise<Res> => {
    await findUser(deps, req.userId);
    return callUnary(deps.context, method(deps.context), req, ctx, deps.config.PEER_DEFAULT_TIMEOUT_MS);
  };
}

export const createSop = forwardToContext((c) => c.createSop);
export const updateSop = forwardToContext((c) => c.updateSop);
export const deactivateSop = forwardToContext((c) => c.deactivateSop);
export const listSops = forwardToContext((c) => c.listSops);
