import type { SelectContextRequest, SelectContextResponse } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { uuidViolations } from '@clinote/shared/validation.js';
import { CandidatePool } from '../domain/candidate-pool.js';
import { selectContext as choose, sopPromptText } from '../domain/selection.js';
import { exampleTexts } from '../repositories/encounters.js';
import type { ContextDeps } from '../deps.js';
import { freshCandidatePool } from '../fresh-candidate-pool.js';
import { requestedSops } from './gather-context.js';

/** phase_3_smart_context_selection: rank the warm pool, then read only the chosen encounters' text. */
export async function selectContext(
  deps: ContextDeps,
  req: SelectContextRequest,
  ctx: CallContext,
): Promise<SelectContextResponse> {
  const violations: FieldViolation[] = [];
  if (!req.transcript.trim()) violations.push({ field: 'transcript', description: 'must not be empty' });
  if (req.transcriptEmbedding.length === 0) violations.push({ field: 'transcript_embedding', description: 'must not be empty' });
  if (req.sopIds.length === 0) violations.push({ field: 'sop_ids', description: 'at least one SOP id is required' });
  req.sopIds.forEach((id, i) => violations.push(...uuidViolations({ [`sop_ids[${i}]`]: id })));
  if (!req.embeddingModel) violations.push({ field: 'embedding_model', description: 'must name the embedding model' });
  if (violations.length > 0) throw new ValidationError(violations);

  const userId = ctx.principal.userId;
  // The SOPs and the pool's freshness in one transaction: one BEGIN and identity for both reads.
  const { sops, pool } = await deps.orm.em.fork().transactional(async (tx) => ({
    sops: await requestedSops(tx, userId, req.sopIds),
    pool: await freshCandidatePool(deps, tx, userId, req.embeddingModel),
  }));
  const model = req.model || deps.config.CONTEXT_TOKENIZER_MODEL;
  // Encounters embedded by another model (the embedder changed) are not comparable: choose none of them.
  const comparable = pool.size === 0 || pool.dimension === req.transcriptEmbedding.length;
  const mode = deps.config.CONTEXT_SELECTION_MODE;
  // A long transcript is tokenised and its concepts found in the worker pool; concepts always, since
  // the save stores them (passed on in transcript_features, not computed again).
  const { transcriptTokens, sopTokens, conceptIds } = await deps.features.ofSelection(
    { model, transcript: req.transcript, sopText: sopPromptText(sops), concepts: true },
    { signal: ctx.signal, deadline: ctx.deadline },
  );
  const reserved = req.reservedOutputTokens || deps.config.CONTEXT_RESERVED_OUTPUT_TOKENS;
  // Examples never take more than their configured share, whatever the model's window.
  const window = Math.min(
    req.contextWindow || deps.config.CONTEXT_WINDOW_TOKENS,
    transcriptTokens + sopTokens + reserved + deps.config.CONTEXT_MAX_EXAMPLE_TOKENS,
  );
  if (!comparable) ctx.logger.warn({ pool_dimension: pool.dimension, dimension: req.transcriptEmbedding.length }, 'embedding dimension changed');
  const selection = choose({
    transcript: req.transcript,
    transcriptEmbedding: Float32Array.from(req.transcriptEmbedding),
    sops,
    pool: comparable ? pool : emptyPool(req.transcriptEmbedding.length),
    model,
    contextWindow: window,
    reservedOutputTokens: reserved,
    transcriptTokens,
    sopTokens,
    transcriptConceptIds: conceptIds,
    mode,
  });

  const ids = selection.choices.map((c) => c.id);
  const byId = await exampleTexts(deps.orm.em.fork(), userId, ids);
  return {
    choices: selection.choices.map(({ id: _id, ...choice }) => choice),
    examples: ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [{ encounterId: id, transcript: row.transcript, note: row.note }] : [];
    }),
    stopReason: selection.stopReason,
    tokenBudget: selection.tokenBudget,
    tokensUsed: selection.tokensUsed,
    candidatesConsidered: selection.candidatesConsidered,
    transcriptFeatures: { tokenCount: transcriptTokens, conceptIds: Array.from(conceptIds ?? []), tokenizerModel: model },
    sops,
  };
}

function emptyPool(dimension: number): CandidatePool {
  return new CandidatePool(dimension, 0);
}
