// Every call the gateway makes to an internal service: the caller's deadline, cancellation, trace
// context and a signed identity token for the clinician the call acts for.
import type { Client } from '@grpc/grpc-js';
import { IDENTITY_METADATA_KEY } from '@clinote/shared/auth/principal.js';
import { callUnary, type OutgoingBounds, type UnaryMethod } from '@clinote/shared/grpc-client.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { GatewayDeps } from './deps.js';

export async function callPeer<Req, Res>(
  deps: GatewayDeps,
  ctx: Pick<CallContext, 'principal' | 'deadline' | 'signal'>,
  client: Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  bounds: OutgoingBounds = ctx,
): Promise<Res> {
  const identity = await deps.identity.tokenFor(ctx.principal);
  return callUnary(
    client,
    method,
    request,
    { deadline: bounds.deadline, signal: bounds.signal, metadata: { [IDENTITY_METADATA_KEY]: identity } },
    deps.config.PEER_DEFAULT_TIMEOUT_MS,
  );
}
