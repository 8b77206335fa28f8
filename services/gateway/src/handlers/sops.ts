import type {
  CreateSopRequest,
  CreateSopResponse,
  DeactivateSopRequest,
  DeactivateSopResponse,
  ListSopsRequest,
  ListSopsResponse,
  UpdateSopRequest,
  UpdateSopResponse,
} from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { callUnary } from '@clinote/shared/grpc-client.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { GatewayDeps } from '../deps.js';
import { findUser } from './users.js';

// SOPs live in the context service, which validates them; the gateway checks the user exists first.

export async function createSop(deps: GatewayDeps, req: CreateSopRequest, ctx: CallContext): Promise<CreateSopResponse> {
  await findUser(deps, req.userId);
  return callUnary(deps.context, deps.context.createSop, req, ctx, deps.config.PEER_DEFAULT_TIMEOUT_MS);
}

export async function updateSop(deps: GatewayDeps, req: UpdateSopRequest, ctx: CallContext): Promise<UpdateSopResponse> {
  await findUser(deps, req.userId);
  return callUnary(deps.context, deps.context.updateSop, req, ctx, deps.config.PEER_DEFAULT_TIMEOUT_MS);
}

export async function deactivateSop(deps: GatewayDeps, req: DeactivateSopRequest, ctx: CallContext): Promise<DeactivateSopResponse> {
  await findUser(deps, req.userId);
  return callUnary(deps.context, deps.context.deactivateSop, req, ctx, deps.config.PEER_DEFAULT_TIMEOUT_MS);
}

export async function listSops(deps: GatewayDeps, req: ListSopsRequest, ctx: CallContext): Promise<ListSopsResponse> {
  await findUser(deps, req.userId);
  return callUnary(deps.context, deps.context.listSops, req, ctx, deps.config.PEER_DEFAULT_TIMEOUT_MS);
}
