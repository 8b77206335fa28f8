import { describe, expect, it } from 'vitest';
import { CONCEPT_COUNT, conceptIdsFor } from '@clinote/shared/clinical-lexicon/concepts.js';
import { countTokens } from './tokens.js';
import { transcriptFeatureViolations } from './transcript-features.js';

const transcript = '[doctor] any chest pain or shortness of breath? [patient] some chest pain, I take lisinopril and metformin 🙂';

describe('transcriptFeatureViolations', () => {
  it('accepts the features this service computes', () => {
    const features = { tokenCount: countTokens('gpt-4o', transcript), conceptIds: Array.from(conceptIdsFor(transcript)), tokenizerModel: 'gpt-4o' };
    expect(features.conceptIds.length).toBeGreaterThan(0);
    expect(transcriptFeatureViolations(features, transcript, 'f')).toEqual([]);
    expect(transcriptFeatureViolations({ tokenCount: 0, conceptIds: [], tokenizerModel: 'gpt-4o' }, transcript, 'f')).toEqual([]);
  });

  it('refuses token counts beyond the transcript and concept ids out of order or unknown', () => {
    const fields = (tokenCount: number, conceptIds: number[]) =>
      transcriptFeatureViolations({ tokenCount, conceptIds, tokenizerModel: 'gpt-4o' }, transcript, 'f').map((v) => v.field);
    expect(fields(-1, [])).toEqual(['f.token_count']);
    expect(fields(3 * transcript.length + 1, [])).toEqual(['f.token_count']);
    expect(fields(1.5, [])).toEqual(['f.token_count']);
    expect(fields(3, [5, 2])).toEqual(['f.concept_ids']);
    expect(fields(3, [2, 2])).toEqual(['f.concept_ids']);
    expect(fields(3, [CONCEPT_COUNT])).toEqual(['f.concept_ids']);
  });
});
