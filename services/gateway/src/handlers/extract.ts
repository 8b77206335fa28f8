import type { PhaseTiming } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type {
  Encounter,
  GatherContextResponse,
  SaveEncounterResponse,
  SelectContextResponse,
} from '@clinote/shared/gen/clinote/context/v1/context.js';
import type { EmbedBatchResponse } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import type { EvaluateResponse, ExtractResponse as Extracted } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import type { ExtractRequest, ExtractResponse } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { AlreadyExistsError, FailedPreconditionError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { activeTraceId, runPhase } from '@clinote/shared/tracing.js';
import { validateExtractRequest } from '../domain/extract-request.js';
import { extractionFromEncounter } from '../domain/extraction-view.js';
import type { GatewayDeps } from '../deps.js';
import { peersFor, type Peers } from '../peers.js';
import { actingUserId } from '../auth/acting-user.js';

const SCOPE = 'clinote-gateway';

export const PHASES = [
  'phase_1_user_lookup',
  'phase_2_context_gathering',
  'phase_3_smart_context_selection',
  'baml_extraction',
  'evaluation_phase',
  'database_save_and_embeddings',
] as const;
type Phase = (typeof PHASES)[number];

/** The six phases, each a span and a timing; context gathering and the transcript's embedding run in parallel. */
export async function extract(deps: GatewayDeps, req: ExtractRequest, ctx: CallContext): Promise<ExtractResponse> {
  validateExtractRequest(req, { maxTranscriptChars: deps.config.MAX_TRANSCRIPT_CHARS, maxSops: deps.config.MAX_SOPS_PER_EXTRACTION });
  const peers = peersFor(deps, { principal: ctx.principal, deadline: extractionDeadline(deps, ctx), signal: ctx.signal });
  const phases = new PhaseClock();

  // The authenticator found the clinician (and that they are not being erased) on this call already.
  const userId = await phases.run('phase_1_user_lookup', async () => actingUserId(ctx, req.userId));
  const { gathered, embedded } = await phases.run('phase_2_context_gathering', () => gatherAndEmbed(peers, req));
  if (gathered.existing) {
    assertSameRequest(gathered.existing, req);
    ctx.logger.info({ extraction_id: gathered.existing.id }, 'idempotent replay');
    return { extraction: extractionFromEncounter(gathered.existing), replayed: true };
  }
  const selection = await phases.run('phase_3_smart_context_selection', () => selectContext(deps, peers, req, embedded));
  const extracted = await phases.run('baml_extraction', () => extractNotes(peers, req, gathered, selection));
  const evaluated = await phases.run('evaluation_phase', () => evaluateNotes(peers, req, gathered, extracted));
  const saved = await phases.run('database_save_and_embeddings', () =>
    saveEncounter(peers, req, userId, { embedded, selection, extracted, evaluated, timings: phases.timings }),
  );

  const encounter = saved.encounter;
  if (!encounter) throw new FailedPreconditionError('the context service returned no encounter');
  if (!saved.created) assertSameRequest(encounter, req);
  const extraction = extractionFromEncounter(encounter);
  if (saved.created) extraction.phaseTimings = phases.timings;
  ctx.logger.info(
    { extraction_id: extraction.id, sops: req.sopIds.length, context: selection.choices.length, created: saved.created },
    'extraction done',
  );
  return { extraction, replayed: !saved.created };
}

/** The caller's deadline, or the configured bound on a whole extraction when it is sooner or absent. */
function extractionDeadline(deps: GatewayDeps, ctx: CallContext): Date {
  const bound = new Date(Date.now() + deps.config.EXTRACT_TIMEOUT_MS);
  return ctx.deadline && ctx.deadline < bound ? ctx.deadline : bound;
}

/** Runs each phase as a span and keeps its timing. */
class PhaseClock {
  readonly timings: PhaseTiming[] = [];

  async run<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    const { value, durationMs } = await runPhase(SCOPE, phase, fn);
    this.timings.push({ phase, durationMs });
    return value;
  }
}

/** phase 2: the SOPs and an idempotent replay, in parallel with the transcript's embedding; one failing cancels the other. */
async function gatherAndEmbed(peers: Peers, req: ExtractRequest): Promise<{ gathered: GatherContextResponse; embedded: EmbedBatchResponse }> {
  const sibling = new AbortController();
  const both = peers.within({ signal: peers.signal ? AbortSignal.any([peers.signal, sibling.signal]) : sibling.signal });
  try {
    const [gathered, embedded] = await Promise.all([
      both.context((c) => c.gatherContext, { userId: '', sopIds: req.sopIds, idempotencyKey: req.idempotencyKey, embeddingModel: '' }),
      both.embedding((c) => c.embedBatch, { texts: [req.transcript] }),
    ]);
    return { gathered, embedded };
  } catch (err: unknown) {
    sibling.abort();
    throw err;
  }
}

/** phase 3: the past encounters to give as examples, ranked over the warm pool of the embedding's model. */
function selectContext(deps: GatewayDeps, peers: Peers, req: ExtractRequest, embedded: EmbedBatchResponse): Promise<SelectContextResponse> {
  return peers.context((c) => c.selectContext, {
    userId: '',
    transcript: req.transcript,
    transcriptEmbedding: embedded.embeddings[0]?.values ?? [],
    sopIds: req.sopIds,
    model: deps.config.CONTEXT_TOKENIZER_MODEL,
    contextWindow: 0,
    reservedOutputTokens: 0,
    embeddingModel: embedded.model,
  });
}

/** phase 4: one structured result per SOP (the LLM's work recorded under the idempotency key). */
function extractNotes(peers: Peers, req: ExtractRequest, gathered: GatherContextResponse, selection: SelectContextResponse): Promise<Extracted> {
  return peers.extraction((c) => c.extract, {
    userId: '',
    transcript: req.transcript,
    sops: gathered.sops,
    examples: selection.examples,
    idempotencyKey: req.idempotencyKey,
  });
}

/** phase 5: grounding, completeness, consistency, numeric support and, with a reference note, ROUGE. */
function evaluateNotes(peers: Peers, req: ExtractRequest, gathered: GatherContextResponse, extracted: Extracted): Promise<EvaluateResponse> {
  return peers.extraction((c) => c.evaluate, {
    transcript: req.transcript,
    sops: gathered.sops,
    results: extracted.results,
    referenceNote: req.referenceNote,
  });
}

interface Outcome {
  embedded: EmbedBatchResponse;
  selection: SelectContextResponse;
  extracted: Extracted;
  evaluated: EvaluateResponse;
  timings: PhaseTiming[];
}

/** phase 6: transcript, results, scores and embedding in one transaction of the context service. */
function saveEncounter(peers: Peers, req: ExtractRequest, userId: string, o: Outcome): Promise<SaveEncounterResponse> {
  return peers.context((c) => c.saveEncounter, {
    userId: '',
    idempotencyKey: req.idempotencyKey,
    embedding: o.embedded.embeddings[0]?.values ?? [],
    embeddingModel: o.embedded.model,
    // Selection counted the transcript's tokens and found its concepts: the save reuses them.
    transcriptFeatures: o.selection.transcriptFeatures,
    encounter: {
      id: '',
      userId,
      transcript: req.transcript,
      note: o.extracted.results.map((r) => r.renderedNote).join('\n\n'),
      results: o.extracted.results,
      evaluations: o.evaluated.evaluations,
      overall: o.evaluated.overall,
      context: o.selection.choices,
      contextStopReason: o.selection.stopReason,
      // The save phase's own timing is only known afterwards; it is returned, not stored.
      phaseTimings: [...o.timings],
      traceId: activeTraceId(),
      usage: o.extracted.usage,
      createdAt: undefined,
      qualityScore: o.evaluated.overall?.overall ?? 0,
    },
  });
}

/** A reused idempotency key must carry the same request; anything else is refused, never answered with another result. */
function assertSameRequest(existing: Encounter, req: ExtractRequest): void {
  const sameSops = existing.results.map((r) => r.sopId).join() === req.sopIds.join();
  if (existing.transcript !== req.transcript || !sameSops) {
    throw new AlreadyExistsError('idempotency key already used for a different request');
  }
}
