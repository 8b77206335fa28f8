import type { ExtractStreamRequest, ExtractStreamResponse } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { AsyncQueue } from '@clinote/shared/async-queue.js';
import { CancelledError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { GatewayDeps } from '../deps.js';
import { runExtraction, type ExtractionObserver } from './extract.js';

/**
 * Extract, streamed: Extract's pipeline (the same steps, validation and idempotency), with each phase's
 * start and end, each SOP's result and evaluation as soon as the extraction service has them, and the
 * saved extraction last. A client that cancels aborts the pipeline before its save.
 */
export async function* extractStream(deps: GatewayDeps, req: ExtractStreamRequest, ctx: CallContext): AsyncGenerator<ExtractStreamResponse> {
  const events = new AsyncQueue<ExtractStreamResponse>();
  const observer: ExtractionObserver = {
    phaseStarted: (phase) => events.push({ phaseStarted: { phase } }),
    phaseEnded: (phase, durationMs, selection) =>
      events.push({
        phaseEnded: { phase, durationMs, selection: selection && { context: selection.choices, stopReason: selection.stopReason } },
      }),
    sopDone: (sop) => events.push({ sop: { result: sop.result, evaluation: sop.evaluation } }),
  };
  // The pipeline stops with the stream, however it ends (a cancelled call, a failed write), and ends before it.
  const stopped = new AbortController();
  const done = runExtraction(deps, req, { ...ctx, signal: AbortSignal.any([ctx.signal, stopped.signal]) }, observer).then(
    (saved) => {
      events.push({ saved });
      events.close();
    },
    (err: unknown) => events.fail(err),
  );
  try {
    yield* events.drain();
  } finally {
    stopped.abort(new CancelledError('the stream ended'));
    await done;
  }
}
