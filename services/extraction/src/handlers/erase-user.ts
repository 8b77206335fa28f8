import type { EraseUserRequest, EraseUserResponse } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { ExtractionDeps } from '../deps.js';
import { eraseRecords } from '../repositories/extraction-records.js';
import { eraseUsage } from '../repositories/llm-usage.js';

/** Everything of the identity token's clinician in this service (a step of the gateway's erasure saga). */
export async function eraseUser(deps: ExtractionDeps, _req: EraseUserRequest, ctx: CallContext): Promise<EraseUserResponse> {
  const llmUsageRecords = await eraseUsage(deps.orm.em, ctx.principal.userId);
  const extractionRecords = await eraseRecords(deps.orm.em, ctx.principal.userId);
  ctx.logger.info({ llm_usage_records: llmUsageRecords, extraction_records: extractionRecords }, 'user data erased');
  return { llmUsageRecords };
}
