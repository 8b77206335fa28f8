// The clinician's history mark (context.user_history) and the candidate rows read by it: the only
// queries a candidate pool needs to stay current.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CandidateRow } from '../candidates.js';
import { EMPTY_HISTORY, type HistoryMark } from '../domain/pool-freshness.js';

/** One primary-key read. */
export async function readHistoryMark(em: EntityManager, userId: string): Promise<HistoryMark> {
  const rows = await em.execute<{ seq: string | number; generation: string | number }[]>(
    `select "seq", "generation" from "context"."user_history" where "user_id" = ?`,
    [userId],
  );
  const row = rows[0];
  return row ? { seq: Number(row.seq), generation: Number(row.generation) } : EMPTY_HISTORY;
}

/** Takes the next `count` numbers (parameters: user id, count) and returns the last as "seq"; also a CTE of a save's insert. */
export const ADVANCE_HISTORY_SQL = `insert into "context"."user_history" as h ("user_id", "seq") values (?, ?)
     on conflict ("user_id") do update set "seq" = h."seq" + excluded."seq" returning h."seq"`;

/**
 * Reserves `count` history numbers for encounters stored in the caller's transaction and returns the
 * last; the row stays locked until it commits, so numbers become visible in the order they were given.
 */
export async function advanceHistory(tx: EntityManager, userId: string, count: number): Promise<number> {
  const rows = await tx.execute<{ seq: string | number }[]>(ADVANCE_HISTORY_SQL, [userId, count]);
  return Number(rows[0]!.seq);
}

/** A new generation after a deletion, in the deleting transaction: warm pools elsewhere reload. */
export async function renewHistoryGeneration(tx: EntityManager, userId: string): Promise<void> {
  await tx.execute(
    `update "context"."user_history" set "generation" = nextval('"context"."user_history_generation_seq"') where "user_id" = ?`,
    [userId],
    'run',
  );
}

/** Erasure: the mark goes with the encounters (a new one starts another generation). */
export async function deleteHistoryMark(tx: EntityManager, userId: string): Promise<number> {
  const res = await tx.execute<{ affectedRows: number }>(`delete from "context"."user_history" where "user_id" = ?`, [userId], 'run');
  return res.affectedRows;
}

/**
 * The newest `limit` encounters embedded by `model`, or only those stored after history number
 * `afterSeq` (the index on (user_id, history_seq) finds them without reading the rest).
 */
export function loadCandidateRows(
  em: EntityManager,
  userId: string,
  model: string,
  options: { afterSeq?: number; limit: number },
): Promise<CandidateRow[]> {
  const knex = em.getKnex();
  const query = knex
    .select('e.id', 'e.quality_score', 'e.concept_ids', 'e.filled_sections', 'e.token_count', 'e.created_at', 'v.vector')
    .from({ e: 'context.encounter' })
    .join({ v: 'context.encounter_embedding' }, 'v.encounter_id', 'e.id')
    .where('e.user_id', userId)
    .andWhere('v.model', model);
  if (options.afterSeq === undefined) {
    query.orderBy([{ column: 'e.created_at', order: 'desc' }, { column: 'e.id', order: 'desc' }]);
  } else {
    query.andWhere('e.history_seq', '>', options.afterSeq).orderBy('e.history_seq', 'desc');
  }
  // Through the ORM's connection, so the query is counted and timed like every other.
  return em.execute(query.limit(options.limit));
}
