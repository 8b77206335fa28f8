// Queries on the recorded LLM work per idempotency key (schema "extraction").
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ExtractResponse } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';

export interface RecordedExtraction {
  requestHash: string;
  response: ExtractResponse;
}

export async function findRecord(em: EntityManager, userId: string, key: string): Promise<RecordedExtraction | undefined> {
  const rows = await em.execute<{ request_hash: string; response: unknown }[]>(
    `select "request_hash", "response" from "extraction"."extraction_record" where "user_id" = ? and "idempotency_key" = ?`,
    [userId, key],
  );
  const row = rows[0];
  return row ? { requestHash: row.request_hash, response: ExtractResponse.fromJSON(row.response) } : undefined;
}

export interface UsageOfSop {
  sopId: string;
  usage: ExtractResponse['usage'];
}

/**
 * Records the usage rows and, with a key, the response, in one transaction. When another attempt
 * with the same key recorded first, nothing of this one is kept and the first one is returned.
 */
export async function recordExtraction(
  em: EntityManager,
  userId: string,
  key: string,
  requestHash: string,
  response: ExtractResponse,
  usageBySop: UsageOfSop[],
): Promise<RecordedExtraction> {
  const usageRows = usageBySop.flatMap(({ sopId, usage }) => usage.map((u) => ({ sopId, ...u })));
  // Nothing to record (the offline extractor without a key): no statement, no transaction.
  if (!key && usageRows.length === 0) return { requestHash, response };
  const record = async (tx: EntityManager): Promise<RecordedExtraction> => {
    if (key) {
      const inserted = await tx.execute<{ user_id: string }[]>(
        `insert into "extraction"."extraction_record" ("user_id", "idempotency_key", "request_hash", "response")
         values (?, ?, ?, ?) on conflict do nothing returning "user_id"`,
        [userId, key, requestHash, JSON.stringify(ExtractResponse.toJSON(response))],
      );
      if (inserted.length === 0) return (await findRecord(tx, userId, key))!;
    }
    if (usageRows.length > 0) {
      const now = new Date();
      await tx.execute(
        `insert into "extraction"."llm_usage" ("id", "user_id", "sop_id", "model", "prompt_tokens", "completion_tokens", "cost_usd", "created_at")
         values ${usageRows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        usageRows.flatMap((u) => [randomUUID(), userId, u.sopId, u.model, u.promptTokens, u.completionTokens, u.costUsd, now]),
        'run',
      );
    }
    return { requestHash, response };
  };
  // Usage alone is one statement; with a key, the record and the usage commit together.
  return key ? em.transactional(record) : record(em);
}

/** Deletes every record of the user (erasure); how many there were. */
export async function eraseRecords(em: EntityManager, userId: string): Promise<number> {
  const deleted = await em.execute<{ affectedRows: number }>(`delete from "extraction"."extraction_record" where "user_id" = ?`, [userId], 'run');
  return deleted.affectedRows;
}
