// Deletions of a clinician's rows in the context schema. Each runs in one transaction acting for
// that clinician, and names them in every WHERE clause: nothing of anyone else's can match.
import type { EntityManager } from '@mikro-orm/postgresql';
import { deleteHistoryMark, renewHistoryGeneration } from './encounter-history.js';

export interface ErasedUserData {
  encounters: number;
  encounterEmbeddings: number;
  sops: number;
  sopVersions: number;
}

type Affected = { affectedRows: number };

/** Every row of the user's: encounters with their embeddings, SOPs with their versions. Erasing an erased user deletes nothing. */
export function eraseUserData(em: EntityManager, userId: string): Promise<ErasedUserData> {
  return em.transactional(async (tx) => {
    // Children first, explicitly (not by cascade), so each table's count is reported.
    const embeddings = await tx.execute<Affected>(
      `delete from "context"."encounter_embedding" v using "context"."encounter" e where v."encounter_id" = e."id" and e."user_id" = ?`,
      [userId],
      'run',
    );
    const encounters = await tx.execute<Affected>(`delete from "context"."encounter" where "user_id" = ?`, [userId], 'run');
    const versions = await tx.execute<Affected>(
      `delete from "context"."sop_version" v using "context"."sop" s where v."sop_id" = s."id" and s."user_id" = ?`,
      [userId],
      'run',
    );
    const sops = await tx.execute<Affected>(`delete from "context"."sop" where "user_id" = ?`, [userId], 'run');
    await deleteHistoryMark(tx, userId);
    return {
      encounters: encounters.affectedRows,
      encounterEmbeddings: embeddings.affectedRows,
      sops: sops.affectedRows,
      sopVersions: versions.affectedRows,
    };
  });
}

/** Deletes one of the user's encounters (its embedding goes with it); false when they have none of that id. */
export async function deleteEncounter(
  em: EntityManager,
  userId: string,
  encounterId: string,
  options: { extractionsOnly: boolean },
): Promise<boolean> {
  const onlyExtracted = options.extractionsOnly ? ` and "source" = 'extracted'` : '';
  return em.transactional(async (tx) => {
    const deleted = await tx.execute<Affected>(
      `delete from "context"."encounter" where "id" = ? and "user_id" = ?${onlyExtracted}`,
      [encounterId, userId],
      'run',
    );
    // Other replicas' warm pools see a new generation and reload without it.
    if (deleted.affectedRows > 0) await renewHistoryGeneration(tx, userId);
    return deleted.affectedRows > 0;
  });
}
