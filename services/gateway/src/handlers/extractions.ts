import type {
  GetExtractionRequest,
  GetExtractionResponse,
  ListExtractionsRequest,
  ListExtractionsResponse,
} from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { callUnary } from '@clinote/shared/grpc-client.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { requireUuids } from '@clinote/shared/validation.js';
import { extractionFromEncounter } from '../domain/extraction-view.js';
import type { GatewayDeps } from '../deps.js';
import { findUser } from './users.js';

export async function getExtraction(deps: GatewayDeps, req: GetExtractionRequest, ctx: CallContext): Promise<GetExtractionResponse> {
  requireUuids({ user_id: req.userId, extraction_id: req.extractionId });
  await findUser(deps, req.userId);
  const { encounter } = await callUnary(
    deps.context,
    deps.context.getEncounter,
    { userId: req.userId, encounterId: req.extractionId, extractionsOnly: true },
    ctx,
    deps.config.PEER_DEFAULT_TIMEOUT_MS,
  );
  return { extraction: encounter ? extractionFromEncounter(encounter) : undefined };
}

export async function listExtractions(
  deps: GatewayDeps,
  req: ListExtractionsRequest,
  ctx: CallContext,
): Promise<ListExtractionsResponse> {
  await findUser(deps, req.userId);
  const page = await callUnary(
    deps.context,
    deps.context.listEncounters,
    { userId: req.userId, pageSize: req.pageSize, pageToken: req.pageToken, extractionsOnly: true },
    ctx,
    deps.config.PEER_DEFAULT_TIMEOUT_MS,
  );
  return { extractions: page.encounters.map(extractionFromEncounter), nextPageToken: page.nextPageToken };
}
