import { describe, expect, it } from 'vitest';
import { measureEmbedderQuality } from '../../bench/embedder-quality.js';
import { cosine } from './embedder.js';
import { OfflineEmbedder } from './offline-embedder.js';

const norm = (v: Float32Array): number => Math.sqrt(cosine(v, v));

describe('OfflineEmbedder', () => {
  const embedder = new OfflineEmbedder({ dimensions: 768 });

  it('is deterministic and returns unit vectors of the configured size', async () => {
    const texts = ['[doctor] any chest pain? [patient] yes, on the left side', '', 'um okay'];
    const [a, empty, filler] = await embedder.embed(texts, {});
    const [again] = await new OfflineEmbedder({ dimensions: 768 }).embed([texts[0]!], {});
    expect(a!.length).toBe(768);
    expect(Array.from(a!)).toEqual(Array.from(again!));
    for (const v of [a!, empty!, filler!]) expect(norm(v)).toBeCloseTo(1, 5);
  });

  it('ranks clinically similar texts closer than unrelated ones', () => {
    const knee = embedder.embedOne('[patient] my right knee hurts when i climb stairs, it is swollen');
    const knee2 = embedder.embedOne('[doctor] tell me about the knee pain. [patient] the knee swells after walking up stairs');
    const cough = embedder.embedOne('[patient] i have had a cough with green sputum and a fever for a week');
    expect(cosine(knee, knee2)).toBeGreaterThan(cosine(knee, cough) + 0.1);
  });

  it('puts the model, dimensions and IDF table in its identity', () => {
    expect(embedder.model).toBe('clinote-offline-hashing');
    expect(embedder.version).toMatch(/^1\.768\.[0-9a-f]{12}$/);
    expect(new OfflineEmbedder({ dimensions: 512 }).version).not.toBe(embedder.version);
    expect(() => new OfflineEmbedder({ dimensions: 7 })).toThrow(RangeError);
  });

  it('finds same-complaint ACI-Bench encounters far more often than chance', () => {
    const quality = measureEmbedderQuality();
    expect(quality.validEncounters).toBe(20);
    expect(quality.chiefComplaintMatchEmbeddingTop3).toBeGreaterThan(3 * quality.chiefComplaintMatchRandom);
    expect(quality.nearestInTfidfTop5).toBeGreaterThanOrEqual(0.5);
  });

  it('honours cancellation', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(embedder.embed(['chest pain'], { signal: controller.signal })).rejects.toMatchObject({ kind: 'cancelled' });
  });
});
