// The gateway's calls to the internal services, for one incoming call: each carries that call's
// deadline, cancellation, trace context and a signed identity token for the clinician it acts for.
import type { ContextServiceClient } from '@clinote/shared/gen/clinote/context/v1/context.js';
import type { EmbeddingServiceClient } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import type { ExtractionServiceClient } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import type { Principal } from '@clinote/shared/auth/principal.js';
import { IDENTITY_METADATA_KEY } from '@clinote/shared/auth/principal.js';
import { callServerStreaming, callUnary, type OutgoingBounds, type ServerStreamingMethod, type UnaryMethod } from '@clinote/shared/grpc-client.js';
import type { Client } from '@grpc/grpc-js';
import type { GatewayDeps } from './deps.js';

/** A call on one peer: pick the method, give the request. */
type PeerCall<C> = <Req, Res>(method: (client: C) => UnaryMethod<Req, Res>, request: Req) => Promise<Res>;

/** A server-streaming call on one peer: pick the method, give the request, read the messages. */
type PeerStream<C> = <Req, Res>(method: (client: C) => ServerStreamingMethod<Req, Res>, request: Req) => AsyncIterable<Res>;

export interface Peers {
  context: PeerCall<ContextServiceClient>;
  embedding: PeerCall<EmbeddingServiceClient>;
  extraction: PeerCall<ExtractionServiceClient>;
  /** Extraction and evaluation in one hop (ExtractNotes). */
  extractionStream: PeerStream<ExtractionServiceClient>;
  /** The cancellation every call carries. */
  readonly signal: AbortSignal | undefined;
  /** The same peers under other bounds (e.g. a sibling signal for calls run in parallel). */
  within(bounds: OutgoingBounds): Peers;
}

export interface PeerScope extends OutgoingBounds {
  /** Whom the calls act for: the caller, or for an admin's erasure, the clinician erased. */
  principal: Principal;
}

export function peersFor(deps: GatewayDeps, scope: PeerScope): Peers {
  const on =
    <C extends Client>(client: C): PeerCall<C> =>
    async (method, request) => {
      const identity = await deps.identity.tokenFor(scope.principal);
      return callUnary(
        client,
        method(client),
        request,
        { deadline: scope.deadline, signal: scope.signal, metadata: { [IDENTITY_METADATA_KEY]: identity } },
        deps.config.PEER_DEFAULT_TIMEOUT_MS,
      );
    };
  const streamOn =
    <C extends Client>(client: C): PeerStream<C> =>
    async function* (method, request) {
      const identity = await deps.identity.tokenFor(scope.principal);
      yield* callServerStreaming(
        client,
        method(client),
        request,
        { deadline: scope.deadline, signal: scope.signal, metadata: { [IDENTITY_METADATA_KEY]: identity } },
        deps.config.PEER_DEFAULT_TIMEOUT_MS,
      );
    };
  return {
    context: on(deps.context),
    embedding: on(deps.embedding),
    extraction: on(deps.extraction),
    extractionStream: streamOn(deps.extraction),
    signal: scope.signal,
    within: (bounds) => peersFor(deps, { ...scope, ...bounds }),
  };
}
