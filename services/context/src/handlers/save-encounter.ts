import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Encounter, SaveEncounterRequest, SaveEncounterResponse } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { FailedPreconditionError, ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { encounterFromEntity, encounterJsonColumns, packVector } from '../domain/encounter-mapping.js';
import { EncounterSchema, type EncounterEntity } from '../entities/encounter.js';
import { transcriptFeatureViolations } from '../domain/transcript-features.js';
import type { ContextDeps } from '../deps.js';
import { poolKey } from '../fresh-candidate-pool.js';
import { insertEncounterWithEmbedding } from '../repositories/encounters.js';

/**
 * database_save_and_embeddings: transcript, results, scores and embedding in one transaction.
 * A repeated idempotency key returns the first encounter and saves nothing.
 */
export async function saveEncounter(
  deps: ContextDeps,
  req: SaveEncounterRequest,
  ctx: CallContext,
): Promise<SaveEncounterResponse> {
  const encounter = req.encounter;
  const violations: FieldViolation[] = [];
  if (!encounter) violations.push({ field: 'encounter', description: 'required' });
  else if (!encounter.transcript.trim()) violations.push({ field: 'encounter.transcript', description: 'must not be empty' });
  if (req.embedding.length === 0) violations.push({ field: 'embedding', description: 'must not be empty' });
  if (!req.embeddingModel) violations.push({ field: 'embedding_model', description: 'must name the embedding model' });
  if (req.idempotencyKey.length > 200) violations.push({ field: 'idempotency_key', description: 'at most 200 characters' });
  if (encounter && req.transcriptFeatures) violations.push(...transcriptFeatureViolations(req.transcriptFeatures, encounter.transcript, 'transcript_features'));
  if (violations.length > 0 || !encounter) throw new ValidationError(violations, 'invalid encounter');

  const existing = req.idempotencyKey ? await findByKey(deps, ctx.principal.userId, req.idempotencyKey) : null;
  if (existing) return { encounter: existing, created: false };

  const features = await storedFeatures(deps, req, encounter, ctx);
  const quality = encounter.overall?.overall ?? 0;
  const saved: EncounterEntity = {
    id: randomUUID(),
    userId: ctx.principal.userId,
    source: 'extracted',
    externalId: null,
    idempotencyKey: req.idempotencyKey || null,
    transcript: encounter.transcript,
    note: encounter.note,
    ...encounterJsonColumns(encounter),
    contextStopReason: encounter.contextStopReason,
    traceId: encounter.traceId,
    qualityScore: Math.min(1, Math.max(0, quality)),
    conceptIds: features.conceptIds,
    filledSections: features.filledSections,
    tokenCount: features.tokenCount,
    createdAt: new Date(),
    historySeq: 0,
  };
  const id = saved.id;
  try {
    // One statement: the history number, the encounter and its embedding (the answer is built from the row as inserted).
    saved.historySeq = await insertEncounterWithEmbedding(deps.orm.em.fork(), saved, {
      model: req.embeddingModel,
      dimensions: req.embedding.length,
      vector: packVector(req.embedding),
    });
  } catch (err: unknown) {
    // A concurrent call with the same key won the race: answer with its encounter.
    if (err instanceof UniqueConstraintViolationException && req.idempotencyKey) {
      const winner = await findByKey(deps, ctx.principal.userId, req.idempotencyKey);
      if (winner) return { encounter: winner, created: false };
      throw new FailedPreconditionError('idempotency key conflict');
    }
    throw err;
  }
  // Warm pools take the new encounter in place; a cold one loads it with the rest later. The save is
  // committed: a pool that cannot take it (another vector size) is dropped and reloads, never failing the call.
  const key = poolKey(ctx.principal.userId, req.embeddingModel);
  try {
    deps.candidatePools.append(key, {
      id,
      embedding: Float32Array.from(req.embedding),
      qualityScore: saved.qualityScore,
      conceptIds: features.conceptIds,
      filledSections: features.filledSections,
      tokenCount: features.tokenCount,
      createdAt: saved.createdAt,
    }, saved.historySeq);
  } catch {
    deps.candidatePools.invalidate(key);
  }
  ctx.logger.info({ encounter_id: id }, 'encounter saved');
  return { encounter: encounterFromEntity(saved), created: true };
}

/** The transcript's tokens and concepts from SelectContext when it counted with our tokenizer; the note's always computed here. */
function storedFeatures(deps: ContextDeps, req: SaveEncounterRequest, encounter: Encounter, ctx: CallContext) {
  const model = deps.config.CONTEXT_TOKENIZER_MODEL;
  const bounds = { signal: ctx.signal, deadline: ctx.deadline };
  const known = req.transcriptFeatures;
  return known && known.tokenizerModel === model
    ? deps.features.ofEncounterWithTranscript(model, encounter, known, bounds)
    : deps.features.ofEncounter(model, encounter, bounds);
}

async function findByKey(deps: ContextDeps, userId: string, idempotencyKey: string) {
  const found = await deps.orm.em.findOne(EncounterSchema, { userId, idempotencyKey });
  return found ? encounterFromEntity(found) : null;
}
