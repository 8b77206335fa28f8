// Queries on the extraction service's usage records (schema "extraction").
import type { EntityManager } from '@mikro-orm/postgresql';

/** Deletes every usage record of the user; how many there were (0 when already erased). */
export async function eraseUsage(em: EntityManager, userId: string): Promise<number> {
  const deleted = await em.execute<{ affectedRows: number }>(`delete from "extraction"."llm_usage" where "user_id" = ?`, [userId], 'run');
  return deleted.affectedRows;
}
