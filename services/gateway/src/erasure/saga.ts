// Erasing a clinician across the mesh, as one saga that is safe to retry from any point: every step
// is idempotent (deleting what is already gone succeeds), and the order keeps a retry able to finish
// what a crash, a timeout or an unavailable service interrupted.
import type { EraseUserDataResponse } from '@clinote/shared/gen/clinote/context/v1/context.js';
import type { EraseUserResponse as EmbeddingErased } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import type { EraseUserResponse as ExtractionErased } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import type { ErasureSummary } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';

/** The saga's steps, bound to one target user. */
export interface ErasureSteps {
  /** The user's other calls are refused from here on; nothing happens when their record is gone. */
  markErasing(): Promise<void>;
  /** Encounters, their embeddings, SOPs and versions; warm candidate pools. */
  eraseContext(): Promise<EraseUserDataResponse>;
  /** Cache entries in the persistent tier, Redis and the in-process LRU. */
  eraseEmbedding(): Promise<EmbeddingErased>;
  /** LLM usage records. */
  eraseExtraction(): Promise<ExtractionErased>;
  /** The user record, last: until it is gone the user stays marked, and a retry finds them so. */
  deleteUserRecord(): Promise<boolean>;
}

/**
 * 1. mark the user erasing; 2. erase in every service (in parallel: they are independent, and one
 * being down does not stop the others); 3. delete the user record. A failure in step 2 fails the
 * saga with that step's status after the others finished, leaving the user marked: retrying runs
 * every step again, and the ones already done delete nothing.
 */
export async function runErasure(steps: ErasureSteps): Promise<ErasureSummary> {
  await steps.markErasing();
  const [context, embedding, extraction] = await allOrFirstFailure([steps.eraseContext(), steps.eraseEmbedding(), steps.eraseExtraction()] as const);
  const userRecordDeleted = await steps.deleteUserRecord();
  return {
    encounters: context.encounters,
    encounterEmbeddings: context.encounterEmbeddings,
    sops: context.sops,
    sopVersions: context.sopVersions,
    llmUsageRecords: extraction.llmUsageRecords,
    embeddingCacheEntries: embedding.persistentEntries,
    embeddingCacheRedisKeys: embedding.redisKeys,
    embeddingCacheLruEntries: embedding.lruEntries,
    userRecordDeleted,
  };
}

/** Like Promise.all, but waits for every step before failing with the first failure. */
async function allOrFirstFailure<T extends readonly Promise<unknown>[]>(steps: T): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { [K in keyof T]: Awaited<T[K]> };
}
