import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOpenAi, fakeEmbedding, startFakeOpenAi } from './fake-openai.js';

let fake: FakeOpenAi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('fake OpenAI server', () => {
  it('serves deterministic embeddings through the SDK (base64 and float)', async () => {
    fake = await startFakeOpenAi({ embeddingDimensions: 16 });
    const client = new OpenAI({ apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });
    const res = await client.embeddings.create({ model: 'emb', input: ['chest pain', 'chest pain', 'knee swelling'] });
    expect(res.data).toHaveLength(3);
    const [a, b, c] = res.data.map((d) => d.embedding);
    expect(a).toHaveLength(16);
    expect(a![0]).toBeCloseTo(fakeEmbedding('chest pain', 16)[0]!, 6);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const floats = await client.embeddings.create({ model: 'emb', input: 'chest pain', encoding_format: 'float' });
    expect(floats.data[0]!.embedding[1]).toBeCloseTo(fakeEmbedding('chest pain', 16)[1]!, 6);
    expect(fake.embeddingRequests.map((r) => r.input.length)).toEqual([3, 1]);
  });

  it('answers past the end of the script with 500', async () => {
    fake = await startFakeOpenAi({ chat: [] });
    const client = new OpenAI({ apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 500 });
  });
});
