// Patient text never reaches the logs: every service logs at debug level into a file while a full
// extraction (and a refused one) runs, then the file is searched for the transcript, notes and values.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { initTelemetry } from '@clinote/shared/telemetry.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL, REDIS_URL } from './support/env.js';
import { call, refusal } from './support/grpc.js';

initTelemetry({ serviceName: 'clinote-test' });

const logFile = path.join(mkdtempSync(path.join(tmpdir(), 'clinote-logs-')), 'services.log');
let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_privacy');
  mesh = await startMesh({
    databaseUrl: db.url,
    redisUrl: REDIS_URL,
    env: { LOG_LEVEL: 'debug', LOG_FILE: logFile, REDIS_KEY_PREFIX: `clinote:test:privacy:${Date.now()}:` },
  });
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
});

/** Distinctive stretches of a text: 24-character windows starting at word boundaries. */
function fragments(text: string, count: number): string[] {
  const words = [...text.matchAll(/\S+/g)].map((m) => m.index);
  const step = Math.max(1, Math.floor(words.length / count));
  return words
    .filter((_, i) => i % step === 0)
    .map((start) => text.slice(start, start + 24))
    .filter((f) => f.trim().length === 24 && /[a-z]{4}/i.test(f));
}

it('keeps transcripts, notes and extracted values out of every log line', async () => {
  const [past, visit] = [loadAciBench('train')[5]!, loadAciBench('valid')[6]!];
  const userId = (await call(mesh.client, mesh.client.createUser, { email: 'privacy@test.local', displayName: 'Privacy' })).user!.id;
  const sopId = (await call(mesh.client, mesh.client.createSop, { userId, name: 'SOAP', sections: SOAP_NOTE_SECTIONS })).sop!.id;
  await call(mesh.client, mesh.client.importEncounters, {
    userId,
    encounters: [{ transcript: past.src, note: past.tgt, externalId: past.file, qualityScore: undefined }],
  });
  const { extraction } = await call(mesh.client, mesh.client.extract, {
    userId,
    transcript: visit.src,
    sopIds: [sopId],
    idempotencyKey: 'privacy',
    referenceNote: visit.tgt,
  });
  await refusal(call(mesh.client, mesh.client.extract, { userId, transcript: visit.src, sopIds: [crypto.randomUUID()], idempotencyKey: '', referenceNote: '' }));

  const lines = readFileSync(logFile, 'utf8').trim().split('\n');
  const events = lines.map((l) => JSON.parse(l) as { service: string; rpc?: string; trace_id?: string });
  expect(new Set(events.map((e) => e.service))).toEqual(new Set(['gateway', 'context', 'embedding', 'extraction']));
  for (const e of events.filter((e) => e.rpc)) expect(e.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(events.some((e) => e.trace_id === extraction!.traceId)).toBe(true);

  const values = extraction!.results.flatMap((r) => r.sections.flatMap((s) => s.fields.flatMap((f) => [f.text, ...f.items])));
  const secrets = [
    ...fragments(visit.src, 40),
    ...fragments(visit.tgt, 20),
    ...fragments(past.src, 20),
    ...fragments(past.tgt, 20),
    ...values.filter((v) => v.length >= 24).map((v) => v.slice(0, 24)),
  ];
  expect(secrets.length).toBeGreaterThan(50);
  const log = lines.join('\n');
  for (const secret of secrets) expect(log).not.toContain(secret);
});
