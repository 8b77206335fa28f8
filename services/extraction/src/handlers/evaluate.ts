import type { EvaluateRequest, EvaluateResponse } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { ValidationError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import type { ExtractionDeps } from '../deps.js';

/** evaluation_phase: grounding, completeness, consistency, numeric support and, with a reference, ROUGE. */
export async function evaluate(deps: ExtractionDeps, req: EvaluateRequest, ctx: CallContext): Promise<EvaluateResponse> {
  if (req.results.length !== req.sops.length) {
    throw ValidationError.field('results', 'one result per SOP is required');
  }
  const mismatch = req.results.findIndex((result, i) => result.sopId !== req.sops[i]!.id);
  if (mismatch >= 0) throw ValidationError.field(`results[${mismatch}].sop_id`, 'does not match sops[i].id');
  // Scoring (ROUGE over long notes included) is CPU work: it runs in the worker pool, under the call's bounds.
  return deps.cpuPool.run('evaluation', req, { signal: ctx.signal, deadline: ctx.deadline });
}
