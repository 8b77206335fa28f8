import type { PhaseTiming } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { ExtractRequest, ExtractResponse } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { AlreadyExistsError, FailedPreconditionError } from '@clinote/shared/errors.js';
import type { Encounter } from '@clinote/shared/gen/clinote/context/v1/context.js';
import type { OutgoingBounds } from '@clinote/shared/grpc-client.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { activeTraceId, runPhase } from '@clinote/shared/tracing.js';
import { validateExtractRequest } from '../domain/extract-request.js';
import { extractionFromEncounter } from '../domain/extraction-view.js';
import type { GatewayDeps } from '../deps.js';
import { callPeer } from '../peers.js';
import { findUser } from './users.js';

const SCOPE = 'clinote-gateway';

export const PHASES = [
  'phase_1_user_lookup',
  'phase_2_context_gathering',
  'phase_3_smart_context_selection',
  'baml_extraction',
  'evaluation_phase',
  'database_save_and_embeddings',
] as const;

/** The six phases, each a span; context gathering and the transcript's embedding run in parallel. */
export async function extract(deps: GatewayDeps, req: ExtractRequest, ctx: CallContext): Promise<ExtractResponse> {
  validateExtractRequest(req, {
    maxTranscriptChars: deps.config.MAX_TRANSCRIPT_CHARS,
    maxSops: deps.config.MAX_SOPS_PER_EXTRACTION,
  });
  const fallbackDeadline = new Date(Date.now() + deps.config.EXTRACT_TIMEOUT_MS);
  const bounds: OutgoingBounds = {
    deadline: ctx.deadline && ctx.deadline < fallbackDeadline ? ctx.deadline : fallbackDeadline,
    signal: ctx.signal,
  };
  const timings: PhaseTiming[] = [];
  const timed = async <T>(phase: (typeof PHASES)[number], fn: () => Promise<T>): Promise<T> => {
    const { value, durationMs } = await runPhase(SCOPE, phase, fn);
    timings.push({ phase, durationMs });
    return value;
  };

  const user = await timed('phase_1_user_lookup', () => findUser(deps, ctx, req.userId));
  const userId = user.id;
  const peer = <Req, Res>(client: Parameters<typeof callPeer>[2], method: Parameters<typeof callPeer<Req, Res>>[3], request: Req, b = bounds) =>
    callPeer(deps, ctx, client, method, request, b);

  // If the gathering fails (bad SOP id...), the embedding call is cancelled rather than left running.
  const sibling = new AbortController();
  const onAbort = () => sibling.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const parallelBounds: OutgoingBounds = { deadline: bounds.deadline, signal: sibling.signal };
  const [gathered, embedded] = await timed('phase_2_context_gathering', () =>
    Promise.all([
      peer(
        deps.context,
        deps.context.gatherContext,
        { userId, sopIds: req.sopIds, idempotencyKey: req.idempotencyKey, embeddingModel: deps.embeddingModelHint.current },
        parallelBounds,
      ),
      peer(deps.embedding, deps.embedding.embedBatch, { texts: [req.transcript] }, parallelBounds),
    ]).catch((err: unknown) => {
      sibling.abort();
      throw err;
    }),
  ).finally(() => ctx.signal.removeEventListener('abort', onAbort));

  if (gathered.existing) {
    assertSameRequest(gathered.existing, req);
    ctx.logger.info({ extraction_id: gathered.existing.id }, 'idempotent replay');
    return { extraction: extractionFromEncounter(gathered.existing), replayed: true };
  }
  const transcriptEmbedding = embedded.embeddings[0]?.values ?? [];
  deps.embeddingModelHint.current = embedded.model;

  const selection = await timed('phase_3_smart_context_selection', () =>
    peer(
      deps.context,
      deps.context.selectContext,
      {
        userId,
        transcript: req.transcript,
        transcriptEmbedding,
        sopIds: req.sopIds,
        model: deps.config.CONTEXT_TOKENIZER_MODEL,
        contextWindow: 0,
        reservedOutputTokens: 0,
        embeddingModel: embedded.model,
      },
    ),
  );

  const extracted = await timed('baml_extraction', () =>
    peer(deps.extraction, deps.extraction.extract, {
      userId,
      transcript: req.transcript,
      sops: gathered.sops,
      examples: selection.examples,
      idempotencyKey: req.idempotencyKey,
    }),
  );

  const evaluated = await timed('evaluation_phase', () =>
    peer(deps.extraction, deps.extraction.evaluate, {
      transcript: req.transcript,
      sops: gathered.sops,
      results: extracted.results,
      referenceNote: req.referenceNote,
    }),
  );

  const traceId = activeTraceId();
  const saved = await timed('database_save_and_embeddings', () =>
    peer(
      deps.context,
      deps.context.saveEncounter,
      {
        userId,
        idempotencyKey: req.idempotencyKey,
        embedding: transcriptEmbedding,
        embeddingModel: embedded.model,
        // Selection counted the transcript's tokens and found its concepts: the save reuses them.
        transcriptFeatures: selection.transcriptFeatures,
        encounter: {
          id: '',
          userId,
          transcript: req.transcript,
          note: extracted.results.map((r) => r.renderedNote).join('\n\n'),
          results: extracted.results,
          evaluations: evaluated.evaluations,
          overall: evaluated.overall,
          context: selection.choices,
          contextStopReason: selection.stopReason,
          // The save phase's own timing is only known afterwards; it is returned, not stored.
          phaseTimings: [...timings],
          traceId,
          usage: extracted.usage,
          createdAt: undefined,
          qualityScore: evaluated.overall?.overall ?? 0,
        },
      },
    ),
  );
  const encounter = saved.encounter;
  if (!encounter) throw new FailedPreconditionError('the context service returned no encounter');
  if (!saved.created) assertSameRequest(encounter, req);
  const extraction = extractionFromEncounter(encounter);
  if (saved.created) extraction.phaseTimings = timings;
  ctx.logger.info(
    { extraction_id: extraction.id, sops: req.sopIds.length, context: selection.choices.length, created: saved.created },
    'extraction done',
  );
  return { extraction, replayed: !saved.created };
}

/** A reused idempotency key must carry the same request; anything else is refused, never answered with another result. */
function assertSameRequest(existing: Encounter, req: ExtractRequest): void {
  const sameSops = existing.results.map((r) => r.sopId).join() === req.sopIds.join();
  if (existing.transcript !== req.transcript || !sameSops) {
    throw new AlreadyExistsError('idempotency key already used for a different request');
  }
}
