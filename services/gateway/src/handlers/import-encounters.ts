import type {
  ImportEncountersRequest,
  ImportEncountersResponse,
} from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import { callUnary } from '@clinote/shared/grpc-client.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { GatewayDeps } from '../deps.js';
import { findUser } from './users.js';

const MAX_IMPORT = 1000;

/** Embeds the past encounters' transcripts in batches, then stores them with the context service. */
export async function importEncounters(
  deps: GatewayDeps,
  req: ImportEncountersRequest,
  ctx: CallContext,
): Promise<ImportEncountersResponse> {
  await findUser(deps, req.userId);
  const violations: FieldViolation[] = [];
  if (req.encounters.length === 0) violations.push({ field: 'encounters', description: 'must not be empty' });
  if (req.encounters.length > MAX_IMPORT) violations.push({ field: 'encounters', description: `at most ${MAX_IMPORT} per call` });
  req.encounters.forEach((e, i) => {
    if (!e.transcript.trim()) violations.push({ field: `encounters[${i}].transcript`, description: 'must not be empty' });
    if (e.transcript.length > deps.config.MAX_TRANSCRIPT_CHARS) {
      violations.push({ field: `encounters[${i}].transcript`, description: `at most ${deps.config.MAX_TRANSCRIPT_CHARS} characters` });
    }
    if (!e.note.trim()) violations.push({ field: `encounters[${i}].note`, description: 'must not be empty' });
  });
  if (violations.length > 0) throw new ValidationError(violations, 'invalid import');

  const response: ImportEncountersResponse = { encounterIds: [], importedCount: 0, skippedCount: 0 };
  const size = deps.config.IMPORT_BATCH_SIZE;
  for (let start = 0; start < req.encounters.length; start += size) {
    const batch = req.encounters.slice(start, start + size);
    const embedded = await callUnary(
      deps.embedding,
      deps.embedding.embedBatch,
      { texts: batch.map((e) => e.transcript) },
      ctx,
      deps.config.PEER_DEFAULT_TIMEOUT_MS,
    );
    const stored = await callUnary(
      deps.context,
      deps.context.importEncounters,
      {
        userId: req.userId,
        encounters: batch.map((e, i) => ({
          transcript: e.transcript,
          note: e.note,
          qualityScore: e.qualityScore,
          externalId: e.externalId,
          embedding: embedded.embeddings[i]?.values ?? [],
          embeddingModel: embedded.model,
        })),
      },
      ctx,
      deps.config.PEER_DEFAULT_TIMEOUT_MS,
    );
    response.encounterIds.push(...stored.encounterIds);
    response.importedCount += stored.importedCount;
    response.skippedCount += stored.skippedCount;
  }
  return response;
}
