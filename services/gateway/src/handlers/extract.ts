import type { EvaluationScores, PhaseTiming, SopEvaluation, SopResult, TokenUsage } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type {
  Encounter,
  GatherContextResponse,
  SaveEncounterResponse,
  SelectContextResponse,
} from '@clinote/shared/gen/clinote/context/v1/context.js';
import type { EmbedBatchResponse } from '@clinote/shared/gen/clinote/embedding/v1/embedding.js';
import type { ExtractedSop, ExtractNotesSummary } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
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
export type Phase = (typeof PHASES)[number];

/** What a caller of the pipeline sees while it runs (ExtractStream passes it on; Extract does not look). */
export interface ExtractionObserver {
  phaseStarted(phase: Phase): void;
  /** Selection ends with the context it chose. */
  phaseEnded(phase: Phase, durationMs: number, selection?: SelectContextResponse): void;
  /** One SOP extracted and evaluated (before the save; replaced by the saved extraction's when they differ). */
  sopDone(sop: ExtractedSop): void;
}

const UNOBSERVED: ExtractionObserver = { phaseStarted() {}, phaseEnded() {}, sopDone() {} };

/** The six phases, each a span and a timing; context gathering and the transcript's embedding run in parallel. */
export function extract(deps: GatewayDeps, req: ExtractRequest, ctx: CallContext): Promise<ExtractResponse> {
  return runExtraction(deps, req, ctx, UNOBSERVED);
}

/** Extract's pipeline, telling the observer each phase's start and end and each SOP's result as they happen. */
export async function runExtraction(deps: GatewayDeps, req: ExtractRequest, ctx: CallContext, observer: ExtractionObserver): Promise<ExtractResponse> {
  validateExtractRequest(req, { maxTranscriptChars: deps.config.MAX_TRANSCRIPT_CHARS, maxSops: deps.config.MAX_SOPS_PER_EXTRACTION });
  const peers = peersFor(deps, { principal: ctx.principal, deadline: extractionDeadline(deps, ctx), signal: ctx.signal });
  const phases = new PhaseClock(observer);

  // The authenticator found the clinician (and that they are not being erased) on this call already.
  const userId = await phases.run('phase_1_user_lookup', async () => actingUserId(ctx, req.userId));
  const { gathered, embedded } = await phases.run('phase_2_context_gathering', () => gatherAndEmbed(peers, req));
  if (gathered.existing) {
    assertSameRequest(gathered.existing, req);
    ctx.logger.info({ extraction_id: gathered.existing.id }, 'idempotent replay');
    return { extraction: extractionFromEncounter(gathered.existing), replayed: true };
  }
  const selection = await phases.run('phase_3_smart_context_selection', () => selectContext(deps, peers, req, embedded));
  // Phases 4 and 5 are one hop: the extraction service runs (and times) both, each SOP evaluated as it is extracted.
  const notes = await extractAndEvaluate(peers, req, selection, phases);
  const saved = await phases.run('database_save_and_embeddings', () =>
    saveEncounter(peers, req, userId, { embedded, selection, notes, timings: phases.timings }),
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

/** Runs each phase as a span and keeps its timing, telling the observer as phases start and end. */
class PhaseClock {
  readonly timings: PhaseTiming[] = [];

  constructor(readonly observer: ExtractionObserver) {}

  async run<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    this.observer.phaseStarted(phase);
    const { value, durationMs } = await runPhase(SCOPE, phase, fn);
    this.ended(phase, durationMs, phase === 'phase_3_smart_context_selection' ? (value as SelectContextResponse) : undefined);
    return value;
  }

  /** A phase run (and timed, as its span) by a peer. */
  started(phase: Phase): void {
    this.observer.phaseStarted(phase);
  }

  ended(phase: Phase, durationMs: number, selection?: SelectContextResponse): void {
    this.timings.push({ phase, durationMs });
    this.observer.phaseEnded(phase, durationMs, selection);
  }
}

/**
 * phase 2: with an idempotency key, its replay if one was saved (GatherContext), in parallel with the
 * transcript's embedding; one failing cancels the other. Without a key there is nothing to look for:
 * the SOPs are read and checked by selection (phase 3), so this is the embedding alone, one hop fewer.
 */
async function gatherAndEmbed(peers: Peers, req: ExtractRequest): Promise<{ gathered: GatherContextResponse; embedded: EmbedBatchResponse }> {
  const embed = (p: Peers) => p.embedding((c) => c.embedBatch, { texts: [req.transcript] });
  if (!req.idempotencyKey) return { gathered: { sops: [], candidateCount: 0, existing: undefined }, embedded: await embed(peers) };
  const sibling = new AbortController();
  const both = peers.within({ signal: peers.signal ? AbortSignal.any([peers.signal, sibling.signal]) : sibling.signal });
  try {
    const [gathered, embedded] = await Promise.all([
      both.context((c) => c.gatherContext, { userId: '', sopIds: req.sopIds, idempotencyKey: req.idempotencyKey, embeddingModel: '' }),
      embed(both),
    ]);
    return { gathered, embedded };
  } catch (err: unknown) {
    sibling.abort();
    throw err;
  }
}

/** phase 3: the requested SOPs (checked: unknown, foreign or inactive ones refused) and the past encounters to give as examples, ranked over the warm pool of the embedding's model. */
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

/** What phases 4 and 5 produced: per SOP (in the request's order) its result and evaluation, and the totals. */
interface Notes {
  results: SopResult[];
  evaluations: SopEvaluation[];
  overall: EvaluationScores | undefined;
  usage: TokenUsage[];
}

/**
 * phases 4 and 5 in one hop: one structured result per SOP (the LLM's work recorded under the
 * idempotency key), each evaluated (grounding, completeness, consistency, numeric support and, with a
 * reference note, ROUGE) as soon as it is extracted. Their spans and durations are the extraction service's.
 */
async function extractAndEvaluate(peers: Peers, req: ExtractRequest, selection: SelectContextResponse, phases: PhaseClock): Promise<Notes> {
  const bySop: ExtractedSop[] = [];
  let summary: ExtractNotesSummary | undefined;
  let received = 0;
  phases.started('baml_extraction');
  const stream = peers.extractionStream((c) => c.extractNotes, {
    userId: '',
    transcript: req.transcript,
    sops: selection.sops,
    examples: selection.examples,
    idempotencyKey: req.idempotencyKey,
    referenceNote: req.referenceNote,
  });
  for await (const message of stream) {
    if (message.sop) {
      if (received++ === 0) phases.started('evaluation_phase');
      bySop[message.sop.sopIndex] = message.sop;
      phases.observer.sopDone(message.sop);
    }
    if (message.summary) summary = message.summary;
  }
  // Another call with the same key recorded its results first: those are the ones to save.
  const kept = summary?.recorded.length ? summary.recorded : bySop;
  if (!summary || kept.length !== selection.sops.length || kept.some((s) => !s?.result)) {
    throw new FailedPreconditionError('the extraction service ended its stream without every SOP and a summary');
  }
  phases.ended('baml_extraction', summary.extractionDurationMs);
  phases.ended('evaluation_phase', summary.evaluationDurationMs);
  return {
    results: kept.map((s) => s.result!),
    evaluations: kept.flatMap((s) => (s.evaluation ? [s.evaluation] : [])),
    overall: summary.overall,
    usage: summary.usage,
  };
}

interface Outcome {
  embedded: EmbedBatchResponse;
  selection: SelectContextResponse;
  notes: Notes;
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
      note: o.notes.results.map((r) => r.renderedNote).join('\n\n'),
      results: o.notes.results,
      evaluations: o.notes.evaluations,
      overall: o.notes.overall,
      context: o.selection.choices,
      contextStopReason: o.selection.stopReason,
      // The save phase's own timing is only known afterwards; it is returned, not stored.
      phaseTimings: [...o.timings],
      traceId: activeTraceId(),
      usage: o.notes.usage,
      createdAt: undefined,
      qualityScore: o.notes.overall?.overall ?? 0,
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
