import { createHash } from 'node:crypto';
import { metrics } from '@opentelemetry/api';
import type { ExtractRequest, ExtractResponse } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { AlreadyExistsError, ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { uuidViolations } from '@clinote/shared/validation.js';
import type { ExtractionDeps } from '../deps.js';
import { findRecord, recordExtraction, type UsageOfSop } from '../repositories/extraction-records.js';

const meter = metrics.getMeter('clinote-extraction');
const tokensCounter = meter.createCounter('clinote_llm_tokens_total', { description: 'LLM tokens used, by model and kind' });
const costCounter = meter.createCounter('clinote_llm_cost_usd_total', { description: 'LLM cost in USD from the configured prices, by model' });

/**
 * baml_extraction: one structured result per SOP, the SOPs extracted concurrently. With an
 * idempotency key, a repeated request returns the recorded result: the LLM is neither called nor
 * billed twice.
 */
export async function extract(deps: ExtractionDeps, req: ExtractRequest, ctx: CallContext): Promise<ExtractResponse> {
  validate(req);
  const userId = ctx.principal.userId;
  const requestHash = hashOf(req);
  const recorded = req.idempotencyKey ? await findRecord(deps.orm.em, userId, req.idempotencyKey) : undefined;
  if (recorded) return replay(recorded, requestHash, ctx);

  const { response, usageBySop } = await extractEverySop(deps, req, ctx);
  const kept = await recordExtraction(deps.orm.em, userId, req.idempotencyKey, requestHash, response, usageBySop);
  if (kept.response !== response) return replay(kept, requestHash, ctx);
  countUsage(response);
  ctx.logger.info({ sops: response.results.length, provider: response.provider, llm_requests: response.usage.length }, 'extracted');
  return response;
}

function validate(req: ExtractRequest): void {
  const violations: FieldViolation[] = [];
  if (!req.transcript.trim()) violations.push({ field: 'transcript', description: 'must not be empty' });
  if (req.sops.length === 0) violations.push({ field: 'sops', description: 'at least one SOP is required' });
  req.sops.forEach((sop, i) => {
    violations.push(...uuidViolations({ [`sops[${i}].id`]: sop.id }));
    if (sop.sections.length === 0) violations.push({ field: `sops[${i}].sections`, description: 'a SOP needs at least one section' });
  });
  if (violations.length > 0) throw new ValidationError(violations, 'invalid extraction request');
}

/** What makes two requests the same: the transcript and the SOP versions (the chosen examples may differ on a retry). */
function hashOf(req: ExtractRequest): string {
  const hash = createHash('sha256').update(req.transcript);
  for (const sop of req.sops) hash.update(`\u0000${sop.id}@${sop.version}`);
  return hash.digest('hex');
}

function replay(recorded: { requestHash: string; response: ExtractResponse }, requestHash: string, ctx: CallContext): ExtractResponse {
  if (recorded.requestHash !== requestHash) throw new AlreadyExistsError('idempotency key already used for a different request');
  ctx.logger.info({ sops: recorded.response.results.length }, 'extraction replayed: no LLM call');
  return recorded.response;
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

function countUsage(response: ExtractResponse): void {
  for (const u of response.usage) {
    tokensCounter.add(u.promptTokens, { model: u.model, kind: 'prompt' });
    tokensCounter.add(u.completionTokens, { model: u.model, kind: 'completion' });
    costCounter.add(u.costUsd, { model: u.model });
  }
}
