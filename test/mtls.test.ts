// mTLS between services: with GRPC_TLS_* set, the whole mesh talks TLS with client certificates,
// and a client without a certificate signed by the CA is turned away.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GatewayServiceClient } from '@clinote/shared/gen/clinote/gateway/v1/gateway.js';
import { PeerStatusError } from '@clinote/shared/grpc-status.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL } from './support/env.js';
import { call } from './support/grpc.js';

/** A throwaway CA and one certificate (server and client use) for 127.0.0.1, made with the openssl CLI. */
function makeCertificates(dir: string) {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=clinote-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
  writeFileSync(
    path.join(dir, 'leaf.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n',
  );
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=clinote-service', '-keyout', 'service.key', '-out', 'service.csr');
  run('x509', '-req', '-in', 'service.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'leaf.ext', '-out', 'service.pem');
  return { GRPC_TLS_CA: path.join(dir, 'ca.pem'), GRPC_TLS_CERT: path.join(dir, 'service.pem'), GRPC_TLS_KEY: path.join(dir, 'service.key') };
}

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let caPem: Buffer;

beforeAll(async () => {
  const tls = makeCertificates(mkdtempSync(path.join(tmpdir(), 'clinote-tls-')));
  caPem = readFileSync(tls.GRPC_TLS_CA);
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_mtls');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: '', env: tls });
});

afterAll(async () => {
  await mesh?.stop();
  await db?.drop();
});

it('extracts over mTLS across all four services and refuses clients without a certificate', async () => {
  const { user } = await call(mesh.client, mesh.client.createUser, { email: 'tls@test.local', displayName: 'TLS' });
  const { sop } = await call(mesh.client, mesh.client.createSop, {
    userId: user!.id,
    name: 'Short',
    sections: [{ key: 'visit', title: 'Visit', instructions: '', fields: [{ key: 'text', label: 'Visit', type: 1, required: true, instructions: '', enumValues: [], unit: '', codeSystem: '' }] }],
  });
  const { extraction } = await call(mesh.client, mesh.client.extract, {
    userId: user!.id,
    transcript: '[doctor] what brings you in today?\n[patient] my left knee has been swollen for a week.',
    sopIds: [sop!.id],
    idempotencyKey: '',
    referenceNote: '',
  });
  expect(extraction!.results).toHaveLength(1);

  for (const creds of [credentials.createInsecure(), credentials.createSsl(caPem)]) {
    const stranger = new GatewayServiceClient(`127.0.0.1:${mesh.gateway.port}`, creds);
    try {
      const refused = await call(stranger, stranger.getUser, { userId: user!.id }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(PeerStatusError);
      expect((refused as PeerStatusError).code).toBe(status.UNAVAILABLE);
    } finally {
      stranger.close();
    }
  }
});
