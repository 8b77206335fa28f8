// Requests an attacker or a broken client sends: undecodable bytes and requests with thousands of
// violations get INVALID_ARGUMENT, precisely and with a trailer that fits, never INTERNAL.
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayServiceService } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call, rawGatewayCall, refusal } from './support/grpc.js';

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let token: string;

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_hostile');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: '' });
  token = await mesh.secrets.tokenFor('clinician');
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
});

const rawCall = (method: string, body: Buffer) => rawGatewayCall(mesh.gateway.port, method, body, `Bearer ${token}`, 5_000);

describe('an undecodable request', () => {
  it('answers INVALID_ARGUMENT naming the message type, on every public method', async () => {
    // An unterminated varint, a truncated length-delimited field, and a wire type that does not exist.
    const garbage = [Buffer.from([0x08, 0xff, 0xff]), Buffer.from([0x12, 0x40, 0x61]), Buffer.from([0x0f, 0x00])];
    for (const path of Object.values(GatewayServiceService).map((m) => m.path)) {
      const method = path.split('/').pop()!;
      for (const body of garbage) {
        const answer = await rawCall(method, body);
        expect({ method, code: status[answer.code] }).toEqual({ method, code: 'INVALID_ARGUMENT' });
        expect(answer.details).toBe(`request is not a valid clinote.gateway.v1.${method}Request`);
      }
    }
  });
});

describe('a request with thousands of violations', () => {
  it('reports at most 100 of them and a count of the rest, in a trailer the client receives', async () => {
    // 500 encounters (the most one import takes), each with an empty transcript and note: 1,000 violations.
    const encounters = Array.from({ length: 500 }, () => ({ transcript: ' ', note: '', externalId: '', qualityScore: undefined }));
    const refused = await refusal(call(mesh.client, mesh.client.importEncounters, { userId: '', encounters }));
    expect(refused.code).toBe(status.INVALID_ARGUMENT);
    expect(refused.violations).toHaveLength(101);
    expect(refused.violations.slice(0, 2).map((v) => v.field)).toEqual(['encounters[0].transcript', 'encounters[0].note']);
    expect(refused.violations.at(-1)!.description).toBe('and 900 more violations');
    // One element too many is one violation, found before any element is looked at.
    const tooMany = await refusal(call(mesh.client, mesh.client.importEncounters, { userId: '', encounters: [...encounters, ...encounters] }));
    expect(tooMany.violations).toEqual([{ field: 'encounters', description: 'at most 500 elements' }]);
  });
});

