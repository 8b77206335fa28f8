import { randomUUID } from 'node:crypto';
import { metrics } from '@opentelemetry/api';
import type { SopResult, TokenUsage } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { ExtractRequest, ExtractResponse } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { uuidViolations } from '@clinote/shared/validation.js';
import { LlmUsageSchema } from '../entities/llm-usage.js';
import type { ExtractionDeps } from '../deps.js';

const meter = metrics.getMeter('clinote-extraction');
const tokensCounter = meter.createCounter('clinote_llm_tokens_total', { description: 'LLM tokens used, by model and kind' });
const costCounter = meter.createCounter('clinote_llm_cost_usd_total', { description: 'LLM cost in USD from the configured prices, by model' });

/** baml_extraction: one structured result per SOP, the SOPs extracted concurrently. */
export async function extract(deps: ExtractionDeps, req: ExtractRequest, ctx: CallContext): Promise<ExtractResponse> {
  const violations: FieldViolation[] = [];
  if (!req.transcript.trim()) violations.push({ field: 'transcript', description: 'must not be empty' });
  if (req.sops.length === 0) violations.push({ field: 'sops', description: 'at least one SOP is required' });
  req.sops.forEach((sop, i) => {
    violations.push(...uuidViolations({ [`sops[${i}].id`]: sop.id }));
    if (sop.sections.length === 0) violations.push({ field: `sops[${i}].sections`, description: 'a SOP needs at least one section' });
  });
  if (violations.length > 0) throw new ValidationError(violations, 'invalid extraction request');

  const bounds = { signal: ctx.signal, deadline: ctx.deadline };
  const outputs = await Promise.all(
    req.sops.map((sop) => deps.extractor.extract({ transcript: req.transcript, sop, examples: req.examples }, bounds)),
  );
  const results: SopResult[] = outputs.map((o) => o.result);
  const usage: TokenUsage[] = outputs.flatMap((o) => o.usage);
  if (usage.length > 0) {
    const now = new Date();
    outputs.forEach((o, i) => {
      for (const u of o.usage) {
        tokensCounter.add(u.promptTokens, { model: u.model, kind: 'prompt' });
        tokensCounter.add(u.completionTokens, { model: u.model, kind: 'completion' });
        costCounter.add(u.costUsd, { model: u.model });
        deps.orm.em.create(LlmUsageSchema, {
          id: randomUUID(),
          userId: ctx.principal.userId,
          sopId: req.sops[i]?.id ?? '',
          model: u.model,
          promptTokens: u.promptTokens,
          completionTokens: u.completionTokens,
          costUsd: u.costUsd,
          createdAt: now,
        });
      }
    });
    await deps.orm.em.flush();
  }
  ctx.logger.info({ sops: results.length, provider: deps.extractor.name, llm_requests: usage.length }, 'extracted');
  return { results, usage, provider: deps.extractor.name };
}
