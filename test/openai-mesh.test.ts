// The OpenAI-compatible path end to end: the extraction and embedding services talk to a fake
// OpenAI server over real HTTP (started here), through the real mesh.
import { status } from '@grpc/grpc-js';
import pg from 'pg';
import { ExtractionServiceClient } from '@clinote/shared/gen/clinote/extraction/v1/extraction.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FieldType, type SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { startFakeOpenAi, type FakeChatReply, type FakeOpenAi } from '../services/extraction/test/fake-openai.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call, refusal } from './support/grpc.js';

const sections: SopSection[] = [
  {
    key: 'visit',
    title: 'Visit',
    instructions: '',
    fields: [
      { key: 'chief_complaint', label: 'Chief complaint', type: FieldType.FIELD_TYPE_TEXT, required: true, instructions: '', enumValues: [], unit: '', codeSystem: '' },
      { key: 'heart_rate', label: 'Heart rate', type: FieldType.FIELD_TYPE_NUMBER, required: false, instructions: '', enumValues: [], unit: 'bpm', codeSystem: '' },
    ],
  },
];

const transcript = [
  '[doctor] what brings you in today?',
  '[patient] my left knee has been swollen for a week.',
  '[doctor] your heart rate is seventy two.',
].join('\n');

const answer = {
  visit: {
    chief_complaint: { value: 'Left knee swelling for one week', evidence_quotes: ['my left knee has been swollen for a week'] },
    heart_rate: { value: 72, unit: 'bpm', evidence_quotes: ['your heart rate is seventy two'] },
  },
};

let reply: FakeChatReply = { kind: 'json', body: answer, usage: { prompt_tokens: 1200, completion_tokens: 80 } };
let fake: FakeOpenAi;
let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let userId: string;
let sopId: string;

beforeAll(async () => {
  fake = await startFakeOpenAi({ chat: () => reply, embeddingDimensions: 64 });
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_llm');
  mesh = await startMesh({
    databaseUrl: db.url,
    redisUrl: '',
    env: {
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: fake.baseURL,
      LLM_MODELS: 'model-a,model-b',
      LLM_MAX_RETRIES: '0',
      LLM_PRICES: JSON.stringify({ 'model-a': { inputPerMTok: 2, outputPerMTok: 8 } }),
      EMBEDDING_MODEL: 'fake-embedding',
      EMBEDDING_DIMENSIONS: '64',
    },
  });
  userId = (await call(mesh.client, mesh.client.createUser, { email: 'llm@test.local', displayName: 'LLM' })).user!.id;
  sopId = (await call(mesh.client, mesh.client.createSop, { userId, name: 'Short', sections })).sop!.id;
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
  await fake?.close();
});

describe('the OpenAI-compatible path', () => {
  it('extracts with structured outputs, grounds the quotes and records tokens and cost', async () => {
    const { extraction } = await call(mesh.client, mesh.client.extract, {
      userId,
      transcript,
      sopIds: [sopId],
      idempotencyKey: '',
      referenceNote: '',
    });
    const fields = extraction!.results[0]!.sections[0]!.fields;
    const cc = fields.find((f) => f.key === 'chief_complaint')!;
    expect(cc.text).toBe('Left knee swelling for one week');
    expect(cc.grounded).toBe(true);
    const span = cc.evidence[0]!;
    expect(transcript.slice(span.start, span.end)).toContain('left knee has been swollen');
    expect(fields.find((f) => f.key === 'heart_rate')!.number).toBe(72);

    expect(extraction!.usage).toEqual([
      expect.objectContaining({ model: 'model-a', promptTokens: 1200, completionTokens: 80 }),
    ]);
    expect(extraction!.usage[0]!.costUsd).toBeCloseTo((1200 * 2 + 80 * 8) / 1e6, 9);

    const request = fake.chatRequests.at(-1)!;
    expect(request.response_format?.type).toBe('json_schema');
    expect(request.response_format?.json_schema?.strict).toBe(true);
    expect(fake.embeddingRequests.length).toBeGreaterThan(0);
  });

  it('answers a retried key from the record: no second LLM call, no second usage row', async () => {
    const extraction = mesh.secrets.internalClient(ExtractionServiceClient, mesh.extraction.port, userId);
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const { sops } = await call(mesh.client, mesh.client.listSops, { userId: '', includeInactive: false });
      const request = { userId: '', transcript, sops, examples: [], idempotencyKey: 'visit-retried' };
      const usageRows = async () => Number((await pool.query('select count(*) as n from extraction.llm_usage where user_id = $1', [userId])).rows[0].n);
      const [callsBefore, rowsBefore] = [fake.chatRequests.length, await usageRows()];
      const first = await call(extraction, extraction.extract, request);
      expect(fake.chatRequests.length).toBe(callsBefore + 1);
      expect(await usageRows()).toBe(rowsBefore + 1);
      // The gateway lost the answer (a crash, a timeout) and tries again with the same key.
      const again = await call(extraction, extraction.extract, request);
      expect(again).toEqual(first);
      expect(fake.chatRequests.length).toBe(callsBefore + 1);
      expect(await usageRows()).toBe(rowsBefore + 1);
      const other = await refusal(call(extraction, extraction.extract, { ...request, transcript: `${transcript}\n[patient] and my ankle.` }));
      expect(other.code).toBe(status.ALREADY_EXISTS);
    } finally {
      extraction.close();
      await pool.end();
    }
  });

  it('answers UNAVAILABLE when every model fails, and saves nothing', async () => {
    reply = { kind: 'status', status: 503 };
    const before = (await call(mesh.client, mesh.client.listExtractions, { userId, pageSize: 50, pageToken: '' })).extractions.length;
    const refused = await refusal(
      call(mesh.client, mesh.client.extract, { userId, transcript, sopIds: [sopId], idempotencyKey: 'fails', referenceNote: '' }),
    );
    expect(refused.code).toBe(status.UNAVAILABLE);
    const after = (await call(mesh.client, mesh.client.listExtractions, { userId, pageSize: 50, pageToken: '' })).extractions.length;
    expect(after).toBe(before);
  });
});
