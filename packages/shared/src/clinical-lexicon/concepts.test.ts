import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONCEPT_COUNT,
  LEXICON_VERSION,
  conceptIdOf,
  conceptIdsFor,
  conceptIdf,
  conceptWeightNorm,
  describeConcept,
  extractConcepts,
  findConcepts,
  medicalRelevance,
} from './concepts.js';

function relevance(a: string, b: string): number {
  const ta = conceptIdsFor(a);
  const tb = conceptIdsFor(b);
  return medicalRelevance(ta, conceptWeightNorm(ta), tb, conceptWeightNorm(tb));
}

describe('clinical concepts', () => {
  it('loads a versioned lexicon covering the five categories', () => {
    expect(CONCEPT_COUNT).toBeGreaterThan(500);
    expect(LEXICON_VERSION).toMatch(/^[0-9a-f]{16}$/);
    const categories = new Set(Array.from({ length: CONCEPT_COUNT }, (_, id) => describeConcept(id)!.category));
    expect([...categories].sort()).toEqual(['anatomy', 'finding', 'medication', 'problem', 'procedure']);
    for (const idf of conceptIdf) expect(idf).toBeGreaterThan(0), expect(idf).toBeLessThanOrEqual(1);
  });

  it('finds problems, medications, anatomy, procedures and findings, including nested phrases', () => {
    const concepts = extractConcepts(
      '[patient] my left knee pain is worse. i take lisinopril for hypertension and had an MRI of the knee.',
    );
    for (const name of ['left knee pain', 'knee pain', 'knee', 'pain', 'lisinopril', 'hypertension', 'mri']) {
      expect(concepts.has(name), name).toBe(true);
    }
    expect(concepts.get('knee')).toBe(2);
    expect(describeConcept(conceptIdOf('lisinopril')!)!.category).toBe('medication');
    expect(describeConcept(conceptIdOf('hypertension')!)!.category).toBe('problem');
    expect(describeConcept(conceptIdOf('knee')!)!.category).toBe('anatomy');
    expect(describeConcept(conceptIdOf('colonoscopy')!)!.category).toBe('procedure');
    expect(describeConcept(conceptIdOf('swelling')!)!.category).toBe('finding');
  });

  it('maps brand names, abbreviations and lay terms to one concept', () => {
    expect(conceptIdOf('Tylenol')).toBe(conceptIdOf('acetaminophen'));
    expect(conceptIdOf('HTN')).toBe(conceptIdOf('hypertension'));
    expect(conceptIdOf('high blood pressure')).toBe(conceptIdOf('hypertension'));
    expect(conceptIdOf('a-fib')).toBe(conceptIdOf('atrial fibrillation'));
    expect(conceptIdOf('shortness of breath')).toBe(conceptIdOf('dyspnea'));
    expect(conceptIdOf('the weather')).toBeUndefined();
  });

  it('returns sorted unique ids', () => {
    const ids = Array.from(conceptIdsFor("knee knee KNEE pain; diabetes, knee"));
    expect(Array.from(ids)).toEqual([...new Set(ids)].sort((a, b) => a - b));
    expect(ids.map((id) => describeConcept(id)!.name).sort()).toEqual(['diabetes', 'knee', 'knee pain', 'pain']);
  });

  it('medical relevance is 1 for the same concepts, 0 for none shared, and weights rare concepts higher', () => {
    expect(relevance('diabetes and metformin', 'metformin for diabetes')).toBeCloseTo(1, 6);
    expect(relevance('diabetes and metformin', 'ankle sprain')).toBe(0);
    expect(relevance('', 'ankle sprain')).toBe(0);
    // "pain" is common, "sciatica" rare: sharing the rare one scores higher.
    const sharesRare = relevance('sciatica and pain', 'sciatica and cough');
    const sharesCommon = relevance('sciatica and pain', 'pain and cough');
    expect(sharesRare).toBeGreaterThan(sharesCommon);
    // Laterality is kept: the same side is more relevant than the other side.
    expect(relevance('left knee pain', 'left knee pain')).toBeGreaterThan(relevance('left knee pain', 'right knee pain'));
  });

  it('handles a full ACI-Bench transcript', () => {
    const data = JSON.parse(readFileSync(new URL('../../../../../shared/data/aci-bench/train.json', import.meta.url), 'utf8')) as {
      data: Array<{ src: string }>;
    };
    const ids = conceptIdsFor(data.data[0]!.src);
    expect(ids.length).toBeGreaterThan(20);
  });
});

describe('findConcepts', () => {
  it('finds the longest phrase with offsets into the text, brand names under their concept', () => {
    const text = 'I take Tylenol for my left knee pain and lisinopril.';
    const found = findConcepts(text);
    const drug = found.find((c) => c.name === 'acetaminophen')!;
    expect(drug.category).toBe('medication');
    expect(text.slice(drug.start, drug.end)).toBe('Tylenol');
    expect(found.map((c) => text.slice(c.start, c.end))).toContain('lisinopril');
    expect(found.some((c) => c.start <= text.indexOf('knee') && text.indexOf('knee') < c.end)).toBe(true);
  });
});
