import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, DeadlineExceededError } from '@clinote/shared/errors.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { createEmbeddingCpuPool } from './cpu-pool.js';
import { OfflineEmbedder } from './offline-embedder.js';
import { INLINE_BELOW_CHARS, PooledOfflineEmbedder } from './pooled-offline-embedder.js';

const pool = createEmbeddingCpuPool({ threads: 2, maxQueue: 8 });
afterAll(() => pool.close());

const encounters = [...loadAciBench('train'), ...loadAciBench('valid')];
const soon = (ms: number) => ({ deadline: new Date(Date.now() + ms) });
/** ACI-Bench transcripts end to end, `chars` long, starting at the `from`-th. */
function longText(chars: number, from = 0): string {
  let text = '';
  for (let i = from; text.length < chars; i++) text += `${encounters[i % encounters.length]!.src}\n`;
  return text.slice(0, chars);
}

describe('PooledOfflineEmbedder', () => {
  it('has the offline embedder’s identity and gives exactly its vectors, in order, for long texts in the pool', async () => {
    const inline = new OfflineEmbedder({ dimensions: 512 });
    const pooled = new PooledOfflineEmbedder(pool, { dimensions: 512 });
    expect([pooled.model, pooled.version, pooled.dimensions]).toEqual([inline.model, inline.version, inline.dimensions]);
    const texts = [longText(150_000), 'um okay', ...encounters.slice(0, 20).map((e) => e.src), longText(60_000, 7)];
    const vectors = await pooled.embed(texts, soon(60_000));
    expect(vectors.map((v) => Array.from(v))).toEqual((await inline.embed(texts, {})).map((v) => Array.from(v)));
    expect(vectors.every((v) => v instanceof Float32Array && v.length === 512)).toBe(true);
  });

  it('embeds short texts on the main thread', async () => {
    const pooled = new PooledOfflineEmbedder(pool);
    const short = [encounters[0]!.src, encounters[1]!.src];
    expect(short.join('').length).toBeLessThan(INLINE_BELOW_CHARS);
    // A deadline already past: only a pooled computation would be refused.
    await expect(pooled.embed(short, { deadline: new Date(Date.now() - 1) })).resolves.toHaveLength(2);
    await expect(pooled.embed([longText(INLINE_BELOW_CHARS)], { deadline: new Date(Date.now() - 1) })).rejects.toBeInstanceOf(DeadlineExceededError);
  });

  it('abandons long texts past the deadline, its workers replaced, and honours cancellation', async () => {
    const pooled = new PooledOfflineEmbedder(pool, {}, 0);
    const before = pool.threadIds;
    const texts = Array.from({ length: 64 }, (_, i) => longText(200_000, i));
    const started = performance.now();
    await expect(pooled.embed(texts, soon(200))).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(pool.inFlight).toBe(0);
    expect(pool.threadIds.some((id) => !before.includes(id))).toBe(true);

    const controller = new AbortController();
    controller.abort();
    await expect(pooled.embed(['chest pain'], { signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
  });
});
