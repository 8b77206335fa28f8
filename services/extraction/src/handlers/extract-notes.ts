import { context, type Context } from '@opentelemetry/api';
import type { SopEvaluation, SopResult } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type {
  ExtractedSop,
  ExtractNotesRequest,
  ExtractNotesResponse,
  ExtractResponse,
} from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { AsyncQueue } from '@clinote/shared/async-queue.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { runPhase, type PhaseResult } from '@clinote/shared/tracing.js';
import type { ExtractionDeps } from '../deps.js';
import { combineEvaluations } from '../domain/evaluation.js';
import { findRecord, recordExtraction } from '../repositories/extraction-records.js';
import { countUsage, replayOf, requestHashOf, validateExtraction } from './extraction-idempotency.js';

const SCOPE = 'clinote-extraction';

interface Bounds {
  signal: AbortSignal;
  deadline: Date | undefined;
}

/** What baml_extraction ended with: the results to keep, and whether they are this call's own. */
interface Extracted {
  response: ExtractResponse;
  replayed: boolean;
  /** Another call with the key recorded first while this one ran: its results replace the ones streamed. */
  superseded: boolean;
}

/**
 * baml_extraction and evaluation_phase in one hop: every SOP extracted concurrently (the record under
 * the idempotency key exactly as Extract keeps it), each evaluated as soon as it is extracted and sent
 * at once, then a summary with the overall scores, the usage and both phases' durations.
 */
export async function* extractNotes(deps: ExtractionDeps, req: ExtractNotesRequest, ctx: CallContext): AsyncGenerator<ExtractNotesResponse> {
  validateExtraction(req);
  // One SOP failing stops the others; so does the caller leaving (the iteration ends early).
  const sibling = new AbortController();
  const bounds: Bounds = { signal: AbortSignal.any([ctx.signal, sibling.signal]), deadline: ctx.deadline };
  const outbox = new AsyncQueue<ExtractedSop>();
  const evaluation = new EvaluationPhase(deps, req, bounds, context.active(), outbox);
  const extraction = runPhase(SCOPE, 'baml_extraction', () => extractEverySop(deps, req, ctx, bounds, evaluation));
  extraction.catch((err: unknown) => {
    outbox.fail(err);
    evaluation.abandon(err);
  });
  try {
    const evaluated: Array<SopEvaluation | undefined> = [];
    for await (const sop of outbox.drain(req.sops.length)) {
      evaluated[sop.sopIndex] = sop.evaluation;
      yield { sop, summary: undefined };
    }
    const { value: extracted, durationMs: extractionDurationMs } = await extraction;
    const evaluationDurationMs = (await evaluation.ended).durationMs;
    const recorded = extracted.superseded ? await evaluateAll(deps, req, extracted.response.results, bounds) : [];
    const scores = (recorded.length > 0 ? recorded.map((r) => r.evaluation) : evaluated).map((e) => e?.scores);
    yield {
      sop: undefined,
      summary: {
        overall: combineEvaluations(scores),
        usage: extracted.response.usage,
        provider: extracted.response.provider,
        replayed: extracted.replayed,
        extractionDurationMs,
        evaluationDurationMs,
        recorded,
      },
    };
  } finally {
    sibling.abort();
    // Nothing of the call outlives it: its phases end (aborted, when it ends early) before it does.
    await Promise.allSettled([extraction, evaluation.ended]);
  }
}

/** Every SOP extracted (each handed to evaluation as it is done), then recorded; or the key's recorded results. */
async function extractEverySop(deps: ExtractionDeps, req: ExtractNotesRequest, ctx: CallContext, bounds: Bounds, evaluation: EvaluationPhase): Promise<Extracted> {
  const userId = ctx.principal.userId;
  const requestHash = requestHashOf(req);
  const recorded = req.idempotencyKey ? await findRecord(deps.orm.em, userId, req.idempotencyKey) : undefined;
  if (recorded) {
    const response = replayOf(recorded, requestHash, ctx);
    response.results.forEach((result, i) => evaluation.add(i, result));
    return { response, replayed: true, superseded: false };
  }
  const outputs = await Promise.all(
    req.sops.map(async (sop, i) => {
      const output = await deps.extractor.extract({ transcript: req.transcript, sop, examples: req.examples }, bounds);
      evaluation.add(i, output.result);
      return output;
    }),
  );
  const response: ExtractResponse = { results: outputs.map((o) => o.result), usage: outputs.flatMap((o) => o.usage), provider: deps.extractor.name };
  const usageBySop = outputs.map((o, i) => ({ sopId: req.sops[i]!.id, usage: o.usage }));
  const kept = await recordExtraction(deps.orm.em, userId, req.idempotencyKey, requestHash, response, usageBySop);
  if (kept.response !== response) {
    return { response: replayOf(kept, requestHash, ctx), replayed: true, superseded: true };
  }
  countUsage(response);
  ctx.logger.info({ sops: response.results.length, provider: response.provider, llm_requests: response.usage.length }, 'extracted');
  return { response, replayed: false, superseded: false };
}

/**
 * evaluation_phase: its span opens with the first SOP's evaluation and closes with the last one's,
 * beside baml_extraction (both children of the call's span). Scoring runs in the worker pool.
 */
class EvaluationPhase {
  private remaining: number;
  private readonly settled = deferred();
  private phase: Promise<PhaseResult<void>> | undefined;

  constructor(
    private readonly deps: ExtractionDeps,
    private readonly req: ExtractNotesRequest,
    private readonly bounds: Bounds,
    private readonly callContext: Context,
    private readonly outbox: AsyncQueue<ExtractedSop>,
  ) {
    this.remaining = req.sops.length;
  }

  /** Resolves once the phase's span ended (with every SOP evaluated); only awaited after that happened. */
  get ended(): Promise<PhaseResult<void>> {
    return this.phase ?? Promise.resolve({ value: undefined, durationMs: 0 });
  }

  /** Extraction failed: the SOPs still to come never will. */
  abandon(err: unknown): void {
    this.settled.reject(err);
  }

  add(sopIndex: number, result: SopResult): void {
    this.phase ??= context.with(this.callContext, () => runPhase(SCOPE, 'evaluation_phase', () => this.settled.promise));
    this.phase.catch(() => undefined);
    evaluateOne(this.deps, this.req, sopIndex, result, this.bounds).then(
      (sop) => {
        this.outbox.push(sop);
        if (--this.remaining === 0) this.settled.resolve();
      },
      (err: unknown) => {
        this.settled.reject(err);
        this.outbox.fail(err);
      },
    );
  }
}

async function evaluateOne(deps: ExtractionDeps, req: ExtractNotesRequest, sopIndex: number, result: SopResult, bounds: Bounds): Promise<ExtractedSop> {
  const sop = req.sops[sopIndex]!;
  const scored = await deps.cpuPool.run('evaluation', { transcript: req.transcript, sops: [sop], results: [result], referenceNote: req.referenceNote }, bounds);
  return { sopIndex, result, evaluation: scored.evaluations[0] };
}

/** The recorded results of another call, every SOP evaluated in one task. */
async function evaluateAll(deps: ExtractionDeps, req: ExtractNotesRequest, results: SopResult[], bounds: Bounds): Promise<ExtractedSop[]> {
  const scored = await deps.cpuPool.run('evaluation', { transcript: req.transcript, sops: req.sops, results, referenceNote: req.referenceNote }, bounds);
  return results.map((result, i) => ({ sopIndex: i, result, evaluation: scored.evaluations[i] }));
}

function deferred(): { promise: Promise<void>; resolve(): void; reject(err: unknown): void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Rejected with nobody waiting (extraction failed before any SOP reached evaluation) is no unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
