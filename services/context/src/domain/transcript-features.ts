import type { FieldViolation } from '@clinote/shared/errors.js';
import { CONCEPT_COUNT } from '@clinote/shared/clinical-lexicon/concepts.js';
import type { TranscriptFeatures } from '@clinote/shared/gen/clinote/context/v1/context.js';

/**
 * Cheap bounds on transcript features another call of this service computed (SelectContext, passed
 * on by the gateway under an identity token): not a recount, only what a bug could get wrong.
 */
export function transcriptFeatureViolations(features: TranscriptFeatures, transcript: string, field: string): FieldViolation[] {
  const violations: FieldViolation[] = [];
  // Byte-level tokens: at most one per UTF-8 byte, so at most three per UTF-16 unit.
  if (!Number.isInteger(features.tokenCount) || features.tokenCount < 0 || features.tokenCount > 3 * transcript.length) {
    violations.push({ field: `${field}.token_count`, description: 'out of range for the transcript' });
  }
  if (features.conceptIds.length > CONCEPT_COUNT || features.conceptIds.some((id, i, ids) => !(id < CONCEPT_COUNT) || (i > 0 && id <= ids[i - 1]!))) {
    violations.push({ field: `${field}.concept_ids`, description: 'must be sorted, unique, known concept ids' });
  }
  return violations;
}
