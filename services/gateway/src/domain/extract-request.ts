import type { ExtractRequest } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { ValidationError, type FieldViolation } from '@clinote/shared/errors.js';
import { isUuid, uuidViolations } from '@clinote/shared/validation.js';

export interface ExtractLimits {
  maxTranscriptChars: number;
  maxSops: number;
}

/** Rejects a bad Extract request before anything is read or saved, listing every violation. */
export function validateExtractRequest(req: ExtractRequest, limits: ExtractLimits): void {
  // user_id may be empty (the caller); whose it is, is checked against the token in phase 1.
  const violations: FieldViolation[] = req.userId === '' ? [] : uuidViolations({ user_id: req.userId });
  if (!req.transcript.trim()) violations.push({ field: 'transcript', description: 'must not be empty' });
  else if (req.transcript.length > limits.maxTranscriptChars) {
    violations.push({ field: 'transcript', description: `must be at most ${limits.maxTranscriptChars} characters` });
  }
  if (req.sopIds.length === 0) violations.push({ field: 'sop_ids', description: 'at least one SOP id is required' });
  if (req.sopIds.length > limits.maxSops) violations.push({ field: 'sop_ids', description: `at most ${limits.maxSops} SOPs` });
  const seen = new Set<string>();
  req.sopIds.forEach((id, i) => {
    if (!isUuid(id)) violations.push({ field: `sop_ids[${i}]`, description: 'must be a UUID' });
    else if (seen.has(id)) violations.push({ field: `sop_ids[${i}]`, description: 'duplicate SOP id' });
    seen.add(id);
  });
  if (req.idempotencyKey.length > 200) violations.push({ field: 'idempotency_key', description: 'at most 200 characters' });
  if (req.referenceNote.length > limits.maxTranscriptChars) {
    violations.push({ field: 'reference_note', description: `must be at most ${limits.maxTranscriptChars} characters` });
  }
  if (violations.length > 0) throw new ValidationError(violations, 'invalid extraction request');
}
