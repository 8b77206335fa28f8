import type { EvaluateRequest, EvaluateResponse } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { ValidationError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { combineEvaluations, evaluateResult } from '../domain/evaluation.js';
import type { ExtractionDeps } from '../deps.js';

/** evaluation_phase: grounding, completeness, consistency, numeric support and, with a reference, ROUGE. */
export async function evaluate(_deps: ExtractionDeps, req: EvaluateRequest, _ctx: CallContext): Promise<EvaluateResponse> {
  if (req.results.length !== req.sops.length) {
    throw ValidationError.field('results', 'one result per SOP is required');
  }
  const evaluations = req.results.map((result, i) => {
    const sop = req.sops[i]!;
    if (result.sopId !== sop.id) throw ValidationError.field(`results[${i}].sop_id`, 'does not match sops[i].id');
    return {
      sopId: sop.id,
      scores: evaluateResult({
        transcript: req.transcript,
        sop,
        result,
        referenceNote: req.referenceNote || undefined,
      }),
    };
  });
  return { evaluations, overall: combineEvaluations(evaluations.map((e) => e.scores)) };
}
