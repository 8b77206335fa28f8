import type { ExtractRequest, ExtractResponse } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { ExtractionDeps } from '../deps.js';
import { findRecord, recordExtraction, type UsageOfSop } from '../repositories/extraction-records.js';
import { countUsage, replayOf, requestHashOf, validateExtraction } from './extraction-idempotency.js';

/**
 * baml_extraction: one structured result per SOP, the SOPs extracted concurrently. With an
 * idempotency key, a repeated request returns the recorded result: the LLM is neither called nor
 * billed twice.
 */
export async function extract(deps: ExtractionDeps, req: ExtractRequest, ctx: CallContext): Promise<ExtractResponse> {
  validateExtraction(req);
  const userId = ctx.principal.userId;
  const requestHash = requestHashOf(req);
  const recorded = req.idempotencyKey ? await findRecord(deps.orm.em, userId, req.idempotencyKey) : undefined;
  if (recorded) return replayOf(recorded, requestHash, ctx);

  const { response, usageBySop } = await extractEverySop(deps, req, ctx);
  const kept = await recordExtraction(deps.orm.em, userId, req.idempotencyKey, requestHash, response, usageBySop);
  if (kept.response !== response) return replayOf(kept, requestHash, ctx);
  countUsage(response);
  ctx.logger.info({ sops: response.results.length, provider: response.provider, llm_requests: response.usage.length }, 'extracted');
  return response;
}

async function extractEverySop(deps: ExtractionDeps, req: ExtractRequest, ctx: CallContext): Promise<{ response: ExtractResponse; usageBySop: UsageOfSop[] }> {
  const bounds = { signal: ctx.signal, deadline: ctx.deadline };
  const outputs = await Promise.all(
    req.sops.map((sop) => deps.extractor.extract({ transcript: req.transcript, sop, examples: req.examples }, bounds)),
  );
  return {
    response: { results: outputs.map((o) => o.result), usage: outputs.flatMap((o) => o.usage), provider: deps.extractor.name },
    usageBySop: outputs.map((o, i) => ({ sopId: req.sops[i]!.id, usage: o.usage })),
  };
}
