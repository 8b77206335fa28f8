import { randomUUID } from 'node:crypto';
import type { Knex } from '@mikro-orm/postgresql';
import type {
  ImportEncountersRequest,
  ImportEncountersResponse,
} from '@clinote/shared/gen/clinote/context/v1/context.js';
import { ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { packVector } from '../domain/encounter-mapping.js';
import type { ContextDeps } from '../deps.js';
import { advanceHistory } from '../repositories/encounter-history.js';

/** Bulk insert of past encounters with their embeddings, in one transaction; re-imports are skipped by external id. */
export async function importEncounters(
  deps: ContextDeps,
  req: ImportEncountersRequest,
  ctx: CallContext,
): Promise<ImportEncountersResponse> {
  const violations: FieldViolation[] = [];
  if (req.encounters.length === 0) violations.push({ field: 'encounters', description: 'must not be empty' });
  if (req.encounters.length > deps.config.IMPORT_MAX_BATCH) {
    violations.push({ field: 'encounters', description: `at most ${deps.config.IMPORT_MAX_BATCH} per batch` });
  }
  req.encounters.forEach((e, i) => {
    if (!e.transcript.trim()) violations.push({ field: `encounters[${i}].transcript`, description: 'must not be empty' });
    if (!e.note.trim()) violations.push({ field: `encounters[${i}].note`, description: 'must not be empty' });
    if (e.embedding.length === 0) violations.push({ field: `encounters[${i}].embedding`, description: 'must not be empty' });
    if (!e.embeddingModel) violations.push({ field: `encounters[${i}].embedding_model`, description: 'must name the embedding model' });
    if (e.qualityScore !== undefined && !(e.qualityScore >= 0 && e.qualityScore <= 1)) {
      violations.push({ field: `encounters[${i}].quality_score`, description: 'must be within [0, 1]' });
    }
  });
  if (violations.length > 0) throw new ValidationError(violations, 'invalid import');

  // Up to 500 encounters of up to 250k characters each: long ones computed in the worker pool, a few tasks.
  const computed = await deps.features.ofEncounters(
    deps.config.CONTEXT_TOKENIZER_MODEL,
    req.encounters.map((e) => ({ transcript: e.transcript, note: e.note, quality: e.qualityScore === undefined })),
    { signal: ctx.signal, deadline: ctx.deadline },
  );
  const now = Date.now();
  const rows = req.encounters.map((e, i) => {
    const { features, quality } = computed[i]!;
    return {
      id: randomUUID(),
      user_id: ctx.principal.userId,
      source: 'imported',
      external_id: e.externalId || null,
      transcript: e.transcript,
      note: e.note,
      quality_score: e.qualityScore ?? quality!,
      concept_ids: JSON.stringify(features.conceptIds),
      filled_sections: JSON.stringify(features.filledSections),
      token_count: features.tokenCount,
      // Keep the batch's order as creation order.
      created_at: new Date(now + i),
      history_seq: 0,
      embedding: e,
    };
  });

  const knex = deps.orm.em.getKnex();
  // The ORM's transaction, not knex's own: it carries the acting clinician row-level security checks.
  const inserted = await deps.orm.em.transactional(async (em) => {
    const trx = em.getTransactionContext<Knex.Transaction>()!;
    // History numbers in batch order; those of skipped re-imports are left unused.
    const last = await advanceHistory(em, ctx.principal.userId, rows.length);
    rows.forEach((row, i) => (row.history_seq = last - rows.length + 1 + i));
    const ids: { id: string }[] = await trx('encounter')
      .withSchema('context')
      .insert(rows.map(({ embedding: _e, ...row }) => row))
      .onConflict(knex.raw('(user_id, external_id) where external_id is not null'))
      .ignore()
      .returning('id');
    const kept = new Set(ids.map((r) => r.id));
    const embeddings = rows
      .filter((r) => kept.has(r.id))
      .map((r) => ({
        encounter_id: r.id,
        model: r.embedding.embeddingModel,
        dimensions: r.embedding.embedding.length,
        vector: packVector(r.embedding.embedding),
      }));
    if (embeddings.length > 0) await trx('encounter_embedding').withSchema('context').insert(embeddings);
    return rows.filter((r) => kept.has(r.id)).map((r) => r.id);
  });
  // Warm pools, here and on other replicas, load only these from their history mark on their next use.
  ctx.logger.info({ imported: inserted.length, skipped: rows.length - inserted.length }, 'encounters imported');
  return { encounterIds: inserted, importedCount: inserted.length, skippedCount: rows.length - inserted.length };
}
