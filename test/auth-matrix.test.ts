// Identity attacked from outside: every public RPC refuses every kind of bad token with the same
// UNAUTHENTICATED, and a valid token of clinician B reaches nothing of clinician A.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKeyPair } from '@clinote/shared/auth/keys.js';
import { DEV_AUDIENCE, DEV_ISSUER, mintDevToken } from '@clinote/shared/auth/dev-auth.js';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { GatewayServiceService } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { initTelemetry } from '@clinote/shared/telemetry.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call, rawGatewayCall, refusal } from './support/grpc.js';

const exporter = new InMemorySpanExporter();
initTelemetry({ serviceName: 'clinote-test', spanExporter: exporter });

const train = loadAciBench('train');
const valid = loadAciBench('valid');
let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_auth');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: '' });
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
});

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Every kind of token an attacker might present, each of which must be refused. */
async function badTokens(): Promise<Record<string, string | undefined>> {
  const now = Math.floor(Date.now() / 1000);
  const good = await mesh.secrets.tokenFor('attacker');
  const [header, payload, signature] = good.split('.') as [string, string, string];
  const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
  const claims = { iss: DEV_ISSUER, aud: DEV_AUDIENCE, sub: 'attacker', iat: now, exp: now + 600 };
  const otherKey = await ensureKeyPair(path.join(mesh.secrets.dir, 'attacker'), 'key');
  // HS256 keyed with the public JWKS (algorithm confusion).
  const jwks = readFileSync(path.join(mesh.secrets.dir, 'auth', 'access.jwks.json'), 'utf8');
  const hsInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return {
    'no token': undefined,
    'not a bearer token': `Basic ${Buffer.from('a:b').toString('base64')}`,
    'malformed': 'Bearer not.a.jwt',
    'empty bearer': 'Bearer ',
    'expired (beyond the 60 s skew)': `Bearer ${await mesh.secrets.tokenFor('attacker', { ttlSeconds: -120 })}`,
    'not yet valid (beyond the skew)': `Bearer ${await mesh.secrets.tokenFor('attacker', { claims: { nbf: now + 600 } })}`,
    'wrong audience': `Bearer ${await mesh.secrets.tokenFor('attacker', { audience: 'someone-else' })}`,
    'wrong issuer': `Bearer ${await mesh.secrets.tokenFor('attacker', { issuer: 'https://evil.example' })}`,
    'bad signature': `Bearer ${header}.${payload}.${flipped}`,
    'signed by another key': `Bearer ${await mintDevToken(otherKey.privateFile, { subject: 'attacker' })}`,
    'alg none': `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
    'HS256 keyed with the public key': `Bearer ${hsInput}.${createHmac('sha256', jwks).update(hsInput).digest('base64url')}`,
    'subject too long': `Bearer ${await mesh.secrets.tokenFor('a'.repeat(256))}`,
  };
}

/** One call of any gateway method with an empty (all-default) request and the given authorization. */
const rawCall = (method: string, authorization: string | undefined) => rawGatewayCall(mesh.gateway.port, method, Buffer.alloc(0), authorization);

const publicMethods = Object.values(GatewayServiceService).map((m) => m.path.split('/').pop()!);

describe('every public RPC', () => {
  it('refuses every bad token with the same UNAUTHENTICATED and no detail', async () => {
    expect(publicMethods.length).toBeGreaterThanOrEqual(10);
    const tokens = await badTokens();
    const seen: string[] = [];
    for (const method of publicMethods) {
      for (const [attack, authorization] of Object.entries(tokens)) {
        const result = await rawCall(method, authorization);
        expect({ method, attack, code: status[result.code] }).toEqual({ method, attack, code: 'UNAUTHENTICATED' });
        seen.push(result.details);
      }
    }
    expect(new Set(seen)).toEqual(new Set(['missing or invalid credentials']));
  });

  it('accepts a valid token on the same path (so the refusals above are about the token)', async () => {
    const result = await rawCall('GetUser', `Bearer ${await mesh.secrets.tokenFor('someone')}`);
    expect(status[result.code]).toBe('OK');
  });
});

describe("clinician B against clinician A's data", () => {
  it('finds nothing of A: NOT_FOUND for owned resources, PERMISSION_DENIED for user ids', async () => {
    exporter.reset();
    const a = await mesh.clientAs('auth0|clinician-a');
    const b = await mesh.clientAs('auth0|clinician-b');
    const aUser = (await call(a, a.createUser, { email: 'a@hospital.test', displayName: 'Dr A' })).user!;
    const bUser = (await call(b, b.getUser, { userId: '' })).user!;
    expect(bUser.id).not.toBe(aUser.id);
    const aSop = (await call(a, a.createSop, { userId: '', name: 'A SOAP', sections: SOAP_NOTE_SECTIONS })).sop!;
    await call(a, a.importEncounters, {
      userId: aUser.id,
      encounters: train.slice(0, 3).map((e) => ({ transcript: e.src, note: e.tgt, externalId: e.file, qualityScore: undefined })),
    });
    const request = { userId: '', transcript: valid[0]!.src, sopIds: [aSop.id], idempotencyKey: 'visit-1', referenceNote: '' };
    const aExtraction = (await call(a, a.extract, request)).extraction!;
    await call(a, a.extract, { ...request, transcript: valid[1]!.src, idempotencyKey: '' });
    const aPage = await call(a, a.listExtractions, { userId: '', pageSize: 1, pageToken: '' });
    expect(aPage.nextPageToken).not.toBe('');

    const code = async (p: Promise<unknown>) => status[(await refusal(p)).code];
    const denied = 'PERMISSION_DENIED';
    const absent = 'NOT_FOUND';
    const matrix: Record<string, string> = {
      'GetUser(A)': await code(call(b, b.getUser, { userId: aUser.id })),
      'CreateSop(user A)': await code(call(b, b.createSop, { userId: aUser.id, name: 'x', sections: SOAP_NOTE_SECTIONS })),
      "UpdateSop(A's SOP)": await code(call(b, b.updateSop, { userId: '', sopId: aSop.id, name: 'pwned', sections: SOAP_NOTE_SECTIONS })),
      "DeactivateSop(A's SOP)": await code(call(b, b.deactivateSop, { userId: '', sopId: aSop.id })),
      'ListSops(user A)': await code(call(b, b.listSops, { userId: aUser.id, includeInactive: true })),
      'ImportEncounters(user A)': await code(
        call(b, b.importEncounters, { userId: aUser.id, encounters: [{ transcript: 'fake', note: 'fake', externalId: '', qualityScore: 1 }] }),
      ),
      "Extract(A's SOP)": await code(call(b, b.extract, { ...request, idempotencyKey: '' })),
      'Extract(user A)': await code(call(b, b.extract, { ...request, userId: aUser.id })),
      "GetExtraction(A's)": await code(call(b, b.getExtraction, { userId: '', extractionId: aExtraction.id })),
      'ListExtractions(user A)': await code(call(b, b.listExtractions, { userId: aUser.id, pageSize: 10, pageToken: '' })),
      "ListExtractions(A's page token)": await code(call(b, b.listExtractions, { userId: '', pageSize: 10, pageToken: aPage.nextPageToken })),
    };
    expect(matrix).toEqual({
      'GetUser(A)': denied,
      'CreateSop(user A)': denied,
      "UpdateSop(A's SOP)": absent,
      "DeactivateSop(A's SOP)": absent,
      'ListSops(user A)': denied,
      'ImportEncounters(user A)': denied,
      "Extract(A's SOP)": absent,
      'Extract(user A)': denied,
      "GetExtraction(A's)": absent,
      'ListExtractions(user A)': denied,
      "ListExtractions(A's page token)": 'INVALID_ARGUMENT',
    });

    // B's own calls succeed and show nothing of A: no SOPs, no extractions, no context from A's history,
    // and A's idempotency key replays nothing for B.
    const bResponses: unknown[] = [];
    bResponses.push(await call(b, b.listSops, { userId: '', includeInactive: true }));
    bResponses.push(await call(b, b.listExtractions, { userId: '', pageSize: 100, pageToken: '' }));
    const bSop = (await call(b, b.createSop, { userId: '', name: 'B SOAP', sections: SOAP_NOTE_SECTIONS })).sop!;
    const bExtraction = await call(b, b.extract, { ...request, sopIds: [bSop.id] });
    bResponses.push(bExtraction);
    expect(bExtraction.replayed).toBe(false);
    expect(bExtraction.extraction!.context).toEqual([]);
    expect((bResponses[0] as { sops: unknown[] }).sops).toEqual([]);
    expect((bResponses[1] as { extractions: unknown[] }).extractions).toEqual([]);
    const seenByB = JSON.stringify(bResponses);
    for (const secret of [aUser.id, aSop.id, aExtraction.id, 'a@hospital.test', train[0]!.src.slice(100, 160)]) {
      expect(seenByB).not.toContain(secret);
    }
    // A's SOP was not changed by B's attempts.
    const aSops = (await call(a, a.listSops, { userId: '', includeInactive: true })).sops;
    expect(aSops.map((s) => [s.name, s.active, s.version])).toEqual([['A SOAP', true, 1]]);
    // Nothing of A's patients in any span.
    const fragment = valid[0]!.src.slice(300, 360);
    for (const span of exporter.getFinishedSpans()) expect(JSON.stringify(span.attributes)).not.toContain(fragment);
  });

  it('answers CreateUser without revealing whether an email is already used', async () => {
    const a = await mesh.clientAs('email-a');
    const b = await mesh.clientAs('email-b');
    await call(a, a.createUser, { email: 'shared@hospital.test', displayName: 'A' });
    const second = await call(b, b.createUser, { email: 'shared@hospital.test', displayName: 'B' });
    expect(second.user!.email).toBe('shared@hospital.test');
  });
});
