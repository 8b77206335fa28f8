import type {
  GetExtractionRequest,
  GetExtractionResponse,
  ListExtractionsRequest,
  ListExtractionsResponse,
} from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { requireUuids } from '@clinote/shared/validation.js';
import { actingUserId } from '../auth/acting-user.js';
import { extractionFromEncounter } from '../domain/extraction-view.js';
import type { GatewayDeps } from '../deps.js';
import { peersFor } from '../peers.js';

export async function getExtraction(deps: GatewayDeps, req: GetExtractionRequest, ctx: CallContext): Promise<GetExtractionResponse> {
  const userId = actingUserId(ctx, req.userId);
  requireUuids({ extraction_id: req.extractionId });
  const { encounter } = await peersFor(deps, ctx).context((c) => c.getEncounter, {
    userId,
    encounterId: req.extractionId,
    extractionsOnly: true,
  });
  return { extraction: encounter ? extractionFromEncounter(encounter) : undefined };
}

export async function listExtractions(
  deps: GatewayDeps,
  req: ListExtractionsRequest,
  ctx: CallContext,
): Promise<ListExtractionsResponse> {
  const userId = actingUserId(ctx, req.userId);
  const page = await peersFor(deps, ctx).context((c) => c.listEncounters, {
    userId,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    extractionsOnly: true,
  });
  return { extractions: page.encounters.map(extractionFromEncounter), nextPageToken: page.nextPageToken };
}
