import type { EmbedBatchRequest, EmbedBatchResponse } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import { ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { EmbeddingDeps } from '../deps.js';

export async function embedBatch(deps: EmbeddingDeps, req: EmbedBatchRequest, ctx: CallContext): Promise<EmbedBatchResponse> {
  const violations: FieldViolation[] = [];
  if (req.texts.length === 0) violations.push({ field: 'texts', description: 'must not be empty' });
  if (req.texts.length > deps.config.MAX_TEXTS_PER_CALL) {
    violations.push({ field: 'texts', description: `at most ${deps.config.MAX_TEXTS_PER_CALL} texts per call` });
  }
  req.texts.forEach((text, i) => {
    if (!text.trim()) violations.push({ field: `texts[${i}]`, description: 'must not be empty' });
    else if (text.length > deps.config.MAX_TEXT_CHARS) {
      violations.push({ field: `texts[${i}]`, description: `at most ${deps.config.MAX_TEXT_CHARS} characters` });
    }
  });
  if (violations.length > 0) throw new ValidationError(violations, 'invalid embedding request');

  // The caller's own entries only: another clinician's cached text is a miss here, and `source` says so.
  const embedded = await deps.cache.embedMany(ctx.principal.userId, req.texts, { signal: ctx.signal, deadline: ctx.deadline });
  return {
    embeddings: embedded.map((e) => ({ values: Array.from(e.vector), source: e.source })),
    model: deps.embedder.model,
    dimensions: deps.embedder.dimensions,
  };
}
