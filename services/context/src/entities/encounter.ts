import { BigIntType, EntitySchema } from '@mikro-orm/core';

export type EncounterSource = 'imported' | 'extracted';

/**
 * A past or new encounter. Results, evaluations and the context record are stored as JSON in the
 * proto's JSON shape; the columns selection needs (quality, concepts, filled sections, token count)
 * are plain columns so the candidate pool loads in one query.
 */
export interface EncounterEntity {
  id: string;
  userId: string;
  source: EncounterSource;
  externalId: string | null;
  idempotencyKey: string | null;
  transcript: string;
  note: string;
  results: unknown[];
  evaluations: unknown[];
  overall: unknown | null;
  context: unknown[];
  contextStopReason: number;
  phaseTimings: unknown[];
  traceId: string;
  usage: unknown[];
  qualityScore: number;
  conceptIds: number[];
  filledSections: string[];
  tokenCount: number;
  createdAt: Date;
  /** Its number in the clinician's history (context.user_history.seq when it was stored). */
  historySeq: number;
}

export interface EncounterEmbeddingEntity {
  encounterId: string;
  model: string;
  dimensions: number;
  vector: Buffer;
}

export const EncounterSchema = new EntitySchema<EncounterEntity>({
  name: 'EncounterEntity',
  tableName: 'encounter',
  indexes: [{ name: 'encounter_user_id_created_at_idx', properties: ['userId', 'createdAt'] }],
  properties: {
    id: { type: 'uuid', primary: true },
    userId: { type: 'uuid', fieldName: 'user_id' },
    source: { type: 'text' },
    externalId: { type: 'text', fieldName: 'external_id', nullable: true },
    idempotencyKey: { type: 'text', fieldName: 'idempotency_key', nullable: true },
    transcript: { type: 'text' },
    note: { type: 'text' },
    results: { type: 'json' },
    evaluations: { type: 'json' },
    overall: { type: 'json', nullable: true },
    context: { type: 'json' },
    contextStopReason: { type: 'integer', fieldName: 'context_stop_reason' },
    phaseTimings: { type: 'json', fieldName: 'phase_timings' },
    traceId: { type: 'text', fieldName: 'trace_id' },
    usage: { type: 'json' },
    qualityScore: { type: 'double', fieldName: 'quality_score' },
    conceptIds: { type: 'json', fieldName: 'concept_ids' },
    filledSections: { type: 'json', fieldName: 'filled_sections' },
    tokenCount: { type: 'integer', fieldName: 'token_count' },
    createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
    historySeq: { type: new BigIntType('number'), fieldName: 'history_seq' },
  },
});

export const EncounterEmbeddingSchema = new EntitySchema<EncounterEmbeddingEntity>({
  name: 'EncounterEmbeddingEntity',
  tableName: 'encounter_embedding',
  properties: {
    encounterId: { type: 'uuid', primary: true, fieldName: 'encounter_id' },
    model: { type: 'text' },
    dimensions: { type: 'integer' },
    vector: { type: 'blob', columnType: 'bytea' },
  },
});
