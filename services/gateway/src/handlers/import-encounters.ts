import type {
  ImportEncountersRequest,
  ImportEncountersResponse,
} from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { GatewayDeps } from '../deps.js';
import { actingUserId } from '../auth/acting-user.js';
import { peersFor } from '../peers.js';

/** One import is one transaction in the context service: its IMPORT_MAX_BATCH must allow this many. */
const MAX_IMPORT = 500;

/** Embeds the past encounters' transcripts in batches, then stores them with the context service. */
export async function importEncounters(
  deps: GatewayDeps,
  req: ImportEncountersRequest,
  ctx: CallContext,
): Promise<ImportEncountersResponse> {
  const userId = actingUserId(ctx, req.userId);
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

  // Embeddings in batches (cached, so a retry costs little), then one context call: one transaction,
  // so an import is saved whole or not at all.
  const peers = peersFor(deps, ctx);
  const embeddings: { values: number[]; model: string }[] = [];
  const size = deps.config.IMPORT_BATCH_SIZE;
  for (let start = 0; start < req.encounters.length; start += size) {
    const embedded = await peers.embedding((c) => c.embedBatch, {
      texts: req.encounters.slice(start, start + size).map((e) => e.transcript),
    });
    embeddings.push(...embedded.embeddings.map((e) => ({ values: e.values, model: embedded.model })));
  }
  return peers.context((c) => c.importEncounters, {
    userId,
    encounters: req.encounters.map((e, i) => ({
      transcript: e.transcript,
      note: e.note,
      qualityScore: e.qualityScore,
      externalId: e.externalId,
      embedding: embeddings[i]?.values ?? [],
      embeddingModel: embeddings[i]?.model ?? '',
    })),
  });
}
