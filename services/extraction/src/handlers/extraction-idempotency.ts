// What Extract and ExtractNotes share: the request's checks, what makes two requests the same (the
// idempotency key's request hash), the replay of a recorded result, and the usage counters.
import { createHash } from 'node:crypto';
import { metrics } from '@opentelemetry/api';
import type { Sop } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { ExtractResponse } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { AlreadyExistsError, ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { uuidViolations } from '@clinote/shared/validation.js';
import type { RecordedExtraction } from '../repositories/extraction-records.js';

const meter = metrics.getMeter('clinote-extraction');
const tokensCounter = meter.createCounter('clinote_llm_tokens_total', { description: 'LLM tokens used, by model and kind' });
const costCounter = meter.createCounter('clinote_llm_cost_usd_total', { description: 'LLM cost in USD from the configured prices, by model' });

interface ExtractionAsked {
  transcript: string;
  sops: Sop[];
}

export function validateExtraction(req: ExtractionAsked): void {
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
export function requestHashOf(req: ExtractionAsked): string {
  const hash = createHash('sha256').update(req.transcript);
  for (const sop of req.sops) hash.update(`\u0000${sop.id}@${sop.version}`);
  return hash.digest('hex');
}

/** The recorded result of the key, when it was recorded for the same request; ALREADY_EXISTS otherwise. */
export function replayOf(recorded: RecordedExtraction, requestHash: string, ctx: CallContext): ExtractResponse {
  if (recorded.requestHash !== requestHash) throw new AlreadyExistsError('idempotency key already used for a different request');
  ctx.logger.info({ sops: recorded.response.results.length }, 'extraction replayed: no LLM call');
  return recorded.response;
}

export function countUsage(response: ExtractResponse): void {
  for (const u of response.usage) {
    tokensCounter.add(u.promptTokens, { model: u.model, kind: 'prompt' });
    tokensCounter.add(u.completionTokens, { model: u.model, kind: 'completion' });
    costCounter.add(u.costUsd, { model: u.model });
  }
}
