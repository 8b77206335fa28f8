import { numericSupport } from '@clinote/shared/numeric-support.js';
import { conceptIdsFor } from '@clinote/shared/clinical-lexicon/concepts.js';
import type { CandidateRecord } from './domain/candidate-pool.js';
import { filledSectionsOf } from './domain/sections.js';
import { countTokens } from './domain/tokens.js';
import { unpackVector } from './domain/encounter-mapping.js';

export interface EncounterFeatures {
  conceptIds: number[];
  filledSections: string[];
  tokenCount: number;
}

/** Computed once when an encounter is stored, so selection never re-reads its text. */
export function encounterFeatures(transcript: string, note: string, tokenizerModel: string): EncounterFeatures {
  return {
    conceptIds: Array.from(conceptIdsFor(transcript)),
    filledSections: filledSectionsOf(note),
    tokenCount: countTokens(tokenizerModel, transcript) + countTokens(tokenizerModel, note),
  };
}

/**
 * Quality of an imported clinician note when the caller gives none: its numbers should come from
 * its own transcript (a note copied from another patient scores low). In [0.5, 1].
 */
export function importedNoteQuality(transcript: string, note: string): number {
  const support = numericSupport(note, transcript);
  return 0.5 + 0.5 * (support.total === 0 ? 1 : support.rate);
}

export interface CandidateRow {
  id: string;
  quality_score: number;
  concept_ids: number[] | string;
  filled_sections: string[] | string;
  token_count: number;
  /** The ORM's driver hands timestamps back as strings. */
  created_at: Date | string;
  vector: Buffer;
}

export function candidateFromRow(row: CandidateRow): CandidateRecord {
  return {
    id: row.id,
    embedding: unpackVector(row.vector),
    qualityScore: row.quality_score,
    conceptIds: typeof row.concept_ids === 'string' ? (JSON.parse(row.concept_ids) as number[]) : row.concept_ids,
    filledSections: typeof row.filled_sections === 'string' ? (JSON.parse(row.filled_sections) as string[]) : row.filled_sections,
    tokenCount: row.token_count,
    createdAt: new Date(row.created_at),
  };
}
