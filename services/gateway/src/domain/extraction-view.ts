import type { Encounter } from '@clinote/shared/gen/clinote/context/v1/context.js';
import type { Extraction } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';

/** The public view of a stored encounter produced by an extraction. */
export function extractionFromEncounter(e: Encounter): Extraction {
  return {
    id: e.id,
    userId: e.userId,
    results: e.results,
    evaluations: e.evaluations,
    overall: e.overall,
    context: e.context,
    contextStopReason: e.contextStopReason,
    phaseTimings: e.phaseTimings,
    traceId: e.traceId,
    usage: e.usage,
    createdAt: e.createdAt,
    transcriptChars: e.transcript.length,
  };
}
