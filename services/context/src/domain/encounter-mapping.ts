import { createHash } from 'node:crypto';
import { ContextChoice, PhaseTiming } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { EvaluationScores, SopEvaluation, SopResult, TokenUsage } from '@clinote/shared/gen/clinote/common/v1/common.js';
import type { Encounter } from '@clinote/shared/gen/clinote/context/v1/context.js';
import { ValidationError } from '@clinote/shared/errors.js';
import { isUuid } from '@clinote/shared/validation.js';
import type { EncounterEntity } from '../entities/encounter.js';

/** Stored JSON uses the proto JSON mapping, so a stored encounter reads back exactly as it was sent. */
export function encounterFromEntity(e: EncounterEntity): Encounter {
  return {
    id: e.id,
    userId: e.userId,
    transcript: e.transcript,
    note: e.note,
    results: e.results.map((r) => SopResult.fromJSON(r)),
    evaluations: e.evaluations.map((r) => SopEvaluation.fromJSON(r)),
    overall: e.overall ? EvaluationScores.fromJSON(e.overall) : undefined,
    context: e.context.map((c) => ContextChoice.fromJSON(c)),
    contextStopReason: e.contextStopReason,
    phaseTimings: e.phaseTimings.map((p) => PhaseTiming.fromJSON(p)),
    traceId: e.traceId,
    usage: e.usage.map((u) => TokenUsage.fromJSON(u)),
    createdAt: e.createdAt,
    qualityScore: e.qualityScore,
  };
}

export function encounterJsonColumns(e: Encounter) {
  return {
    results: e.results.map((r) => SopResult.toJSON(r)),
    evaluations: e.evaluations.map((r) => SopEvaluation.toJSON(r)),
    overall: e.overall ? EvaluationScores.toJSON(e.overall) : null,
    context: e.context.map((c) => ContextChoice.toJSON(c)),
    phaseTimings: e.phaseTimings.map((p) => PhaseTiming.toJSON(p)),
    usage: e.usage.map((u) => TokenUsage.toJSON(u)),
  };
}

export function packVector(values: number[]): Buffer {
  const f32 = Float32Array.from(values);
  return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
}

export function unpackVector(bytes: Buffer): Float32Array {
  // Copy: a Buffer slice may not be 4-byte aligned.
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

interface PageCursor {
  createdAt: Date;
  id: string;
}

/** A page token names its owner (by a hash, not the id): another clinician's token is refused, not reinterpreted. */
function ownerTag(ownerId: string): string {
  return createHash('sha256').update(`clinote-page:${ownerId}`).digest('base64url').slice(0, 16);
}

export function encodePageToken(cursor: PageCursor, ownerId: string): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}|${ownerTag(ownerId)}`).toString('base64url');
}

export function decodePageToken(token: string, ownerId: string): PageCursor | undefined {
  if (!token) return undefined;
  if (token.length > 200) throw ValidationError.field('page_token', 'malformed page token');
  const [iso, id, owner] = Buffer.from(token, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  // A damaged token's cursor must not reach the query: an id that is no UUID, or a time Postgres cannot read, failed there.
  const year = createdAt.getUTCFullYear();
  const canonical = year >= 1 && year <= 9999 && createdAt.toISOString() === iso;
  if (!id || !isUuid(id) || !canonical || owner !== ownerTag(ownerId)) {
    throw ValidationError.field('page_token', 'not a page token of this caller');
  }
  return { createdAt, id };
}
