import { afterAll, describe, expect, it } from 'vitest';
import { DeadlineExceededError, ValidationError } from '@clinote/shared/errors.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { conceptIdsFor } from '@clinote/shared/clinical-lexicon/concepts.js';
import { encounterFeatures, importedNoteQuality } from '../candidates.js';
import { createContextCpuPool } from './cpu-pool.js';
import { INLINE_BELOW_CHARS, PooledFeatures } from './pooled-features.js';
import { sopPromptText } from './selection.js';
import { countTokens } from './tokens.js';
import { section, sop } from './test-fixtures.js';

const pool = createContextCpuPool({ threads: 2, maxQueue: 8 });
afterAll(() => pool.close());

const encounters = [...loadAciBench('train'), ...loadAciBench('valid')];
const soon = (ms: number) => ({ deadline: new Date(Date.now() + ms) });
/** ACI-Bench transcripts end to end, `chars` long. */
function longTranscript(chars: number): string {
  let text = '';
  for (let i = 0; text.length < chars; i++) text += `${encounters[i % encounters.length]!.src}\n`;
  return text.slice(0, chars);
}
const SOAP = sop('soap', [section('Subjective'), section('Objective'), section('Assessment'), section('Plan')]);

describe('PooledFeatures', () => {
  // Everything through the pool, so the comparison is pooled against the inline functions.
  const pooled = new PooledFeatures(pool, 0);

  it("gives SelectContext's token counts and concepts exactly as computed inline", async () => {
    for (const transcript of [encounters[0]!.src, longTranscript(120_000)]) {
      const input = { model: 'gpt-4o', transcript, sopText: sopPromptText([SOAP]), concepts: true };
      const features = await pooled.ofSelection(input, soon(30_000));
      expect(features.transcriptTokens).toBe(countTokens('gpt-4o', transcript));
      expect(features.sopTokens).toBe(countTokens('gpt-4o', input.sopText));
      expect(Array.from(features.conceptIds!)).toEqual(Array.from(conceptIdsFor(transcript)));
    }
    const withoutConcepts = await pooled.ofSelection({ model: 'gpt-4', transcript: 'chest pain', sopText: '', concepts: false }, soon(30_000));
    expect(withoutConcepts).toEqual({ transcriptTokens: countTokens('gpt-4', 'chest pain'), sopTokens: 0 });
  });

  it('gives every encounter its features and quality exactly as computed inline, in order, batched over the workers', async () => {
    const batch = encounters.map((e, i) => ({ transcript: e.src, note: e.tgt, quality: i % 3 !== 0 }));
    const computed = await pooled.ofEncounters('gpt-4o', batch, soon(60_000));
    expect(computed).toEqual(
      batch.map((e) => ({
        features: encounterFeatures(e.transcript, e.note, 'gpt-4o'),
        ...(e.quality ? { quality: importedNoteQuality(e.transcript, e.note) } : {}),
      })),
    );
    const one = await pooled.ofEncounter('gpt-4o', { transcript: encounters[1]!.src, note: encounters[1]!.tgt }, soon(30_000));
    expect(one).toEqual(encounterFeatures(encounters[1]!.src, encounters[1]!.tgt, 'gpt-4o'));
  });

  it("gives an encounter the same features from SelectContext's transcript features and its note alone", async () => {
    for (const e of encounters.slice(0, 3)) {
      const transcript = { tokenCount: countTokens('gpt-4o', e.src), conceptIds: Array.from(conceptIdsFor(e.src)) };
      const reused = await pooled.ofEncounterWithTranscript('gpt-4o', { note: e.tgt }, transcript, soon(30_000));
      expect(reused).toEqual(encounterFeatures(e.src, e.tgt, 'gpt-4o'));
    }
  });

  it('keeps short texts on the main thread, long ones in the pool', async () => {
    const inlineFirst = new PooledFeatures(pool);
    const short = encounters[0]!.src;
    expect(short.length).toBeLessThan(INLINE_BELOW_CHARS);
    // A deadline already past: only a pooled computation would be refused.
    const past = { deadline: new Date(Date.now() - 1) };
    await expect(inlineFirst.ofSelection({ model: 'gpt-4o', transcript: short, sopText: '', concepts: true }, past)).resolves.toBeDefined();
    await expect(inlineFirst.ofEncounter('gpt-4o', { transcript: short, note: 'Plan: rest.' }, past)).resolves.toBeDefined();
    const long = longTranscript(INLINE_BELOW_CHARS);
    await expect(inlineFirst.ofSelection({ model: 'gpt-4o', transcript: long, sopText: '', concepts: true }, past)).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('refuses a model whose encoding is not supported as a ValidationError, before any task', async () => {
    const input = { model: 'text-davinci-003', transcript: longTranscript(50_000), sopText: '', concepts: false };
    await expect(pooled.ofSelection(input, soon(30_000))).rejects.toBeInstanceOf(ValidationError);
    await expect(pooled.ofEncounters('text-davinci-003', [{ transcript: 'x', note: 'y', quality: true }], soon(30_000))).rejects.toBeInstanceOf(ValidationError);
  });

  it('abandons a long import past its deadline with DeadlineExceededError, its workers replaced', async () => {
    const before = pool.threadIds;
    const batch = Array.from({ length: 60 }, () => ({ transcript: longTranscript(250_000), note: encounters[0]!.tgt, quality: true }));
    const started = performance.now();
    await expect(pooled.ofEncounters('gpt-4o', batch, soon(300))).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(pool.inFlight).toBe(0);
    expect(pool.threadIds.some((id) => !before.includes(id))).toBe(true);
  });
});
