// Queries on the recorded LLM work per idempotency key (schema "extraction").
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ExtractResponse } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { LlmUsageSchema } from '../entities/llm-usage.js';

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
  return em.transactional(async (tx) => {
    if (key) {
      const inserted = await tx.execute<{ user_id: string }[]>(
        `insert into "extraction"."extraction_record" ("user_id", "idempotency_key", "request_hash", "response")
         values (?, ?, ?, ?) on conflict do nothing returning "user_id"`,
        [userId, key, requestHash, JSON.stringify(ExtractResponse.toJSON(response))],
      );
      if (inserted.length === 0) return (await findRecord(tx, userId, key))!;
    }
    const now = new Date();
    for (const { sopId, usage } of usageBySop) {
      for (const u of usage) {
        tx.create(LlmUsageSchema, {
          id: randomUUID(),
          userId,
          sopId,
          model: u.model,
          promptTokens: u.promptTokens,
          completionTokens: u.completionTokens,
          costUsd: u.costUsd,
          createdAt: now,
        });
      }
    }
    await tx.flush();
    return { requestHash, response };
  });
}

/** Deletes every record of the user (erasure); how many there were. */
export async function eraseRecords(em: EntityManager, userId: string): Promise<number> {
  const deleted = await em.execute<{ affectedRows: number }>(`delete from "extraction"."extraction_record" where "user_id" = ?`, [userId], 'run');
  return deleted.affectedRows;
}
