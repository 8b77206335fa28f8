// Writes and reads of encounter rows on the extraction path, as plain SQL statements: the unit of
// work would snapshot and diff each encounter's JSON columns (results, evaluations) only to insert
// them once, and hydrate entities only to copy three columns out of them.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EncounterEntity } from '../entities/encounter.js';
import { ADVANCE_HISTORY_SQL } from './encounter-history.js';

export interface StoredEmbedding {
  model: string;
  dimensions: number;
  /** Packed float32. */
  vector: Buffer;
}

const JSON_COLUMNS = ['results', 'evaluations', 'overall', 'context', 'phaseTimings', 'usage', 'conceptIds', 'filledSections'] as const;

/**
 * Inserts the encounter and its embedding and takes the next number in the clinician's history, in
 * one transaction of two statements: returns that number. `historySeq` of the row is ignored. A
 * reused idempotency key fails it with the unique violation, and nothing is stored. (The embedding
 * cannot join the first statement: its row-level security policy looks its encounter up, and rows a
 * statement inserts are invisible to that same statement.)
 */
export function insertEncounterWithEmbedding(em: EntityManager, row: Omit<EncounterEntity, 'historySeq'>, embedding: StoredEmbedding): Promise<number> {
  return em.transactional(async (tx) => {
    const seq = await insertEncounter(tx, row);
    await tx.execute(
      `insert into "context"."encounter_embedding" ("encounter_id", "model", "dimensions", "vector") values (?, ?, ?, ?)`,
      [row.id, embedding.model, embedding.dimensions, embedding.vector],
      'run',
    );
    return seq;
  });
}

/** The encounter row with the next number in the clinician's history, in one statement: returns the number. */
async function insertEncounter(em: EntityManager, row: Omit<EncounterEntity, 'historySeq'>): Promise<number> {
  const json = Object.fromEntries(JSON_COLUMNS.map((c) => [c, row[c] === null ? null : JSON.stringify(row[c])]));
  const rows = await em.execute<{ seq: string | number }[]>(
    `with h as (${ADVANCE_HISTORY_SQL}), e as (
       insert into "context"."encounter" ("id", "user_id", "source", "external_id", "idempotency_key", "transcript", "note",
         "results", "evaluations", "overall", "context", "context_stop_reason", "phase_timings", "trace_id", "usage",
         "quality_score", "concept_ids", "filled_sections", "token_count", "created_at", "history_seq")
       select ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?::jsonb, ?, ?::jsonb, ?, ?::jsonb, ?::jsonb, ?, ?, h."seq" from h
       returning "history_seq"
     )
     select "history_seq" as "seq" from e`,
    [
      row.userId,
      1,
      row.id,
      row.userId,
      row.source,
      row.externalId,
      row.idempotencyKey,
      row.transcript,
      row.note,
      json.results,
      json.evaluations,
      json.overall,
      json.context,
      row.contextStopReason,
      json.phaseTimings,
      row.traceId,
      json.usage,
      row.qualityScore,
      json.conceptIds,
      json.filledSections,
      row.tokenCount,
      row.createdAt,
    ],
  );
  return Number(rows[0]!.seq);
}

/** The transcripts and notes of the chosen encounters (the examples of an extraction), the user's only. */
export async function exampleTexts(em: EntityManager, userId: string, ids: readonly string[]): Promise<Map<string, { transcript: string; note: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await em.execute<{ id: string; transcript: string; note: string }[]>(
    `select "id", "transcript", "note" from "context"."encounter" where "user_id" = ? and "id" in (${ids.map(() => '?').join(', ')})`,
    [userId, ...ids],
  );
  return new Map(rows.map((r) => [r.id, { transcript: r.transcript, note: r.note }]));
}
