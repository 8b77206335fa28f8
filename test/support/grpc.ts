import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { credentials, makeGenericClientConstructor, Metadata, type ChannelCredentials, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { clientCaller, type UnaryMethod } from '@clinote/shared/grpc-client.js';
import { PeerStatusError, decodeFieldViolations } from '@clinote/shared/grpc-status.js';
import type { FieldViolation } from '@clinote/shared/errors.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** A unary call from a test: a generous deadline, errors surfaced as their status. */
export function call<Req, Res>(client: Client, method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
  return clientCaller(client, 60_000)(method, request);
}

export interface Refusal {
  code: status;
  violations: FieldViolation[];
}

/** Runs a call that must fail and returns its status code and field violations. */
export async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise;
  } catch (err: unknown) {
    if (err instanceof PeerStatusError) return { code: err.code, violations: decodeFieldViolations(err.metadata) };
    throw err;
  }
  throw new Error('expected the call to fail');
}

interface HealthClient {
  check(req: { service: string }, cb: (err: ServiceError | null, res: { status: string }) => void): void;
  close(): void;
}
const HealthClientCtor = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health') as unknown as new (
  address: string,
  creds: ChannelCredentials,
) => HealthClient;

export function healthStatus(port: number, service = '', creds: ChannelCredentials = credentials.createInsecure()): Promise<string> {
  const client = new HealthClientCtor(`127.0.0.1:${port}`, creds);
  return new Promise((resolve, reject) =>
    client.check({ service }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(String(res.status));
    }),
  );
}

const run = promisify(execFile);

/** `buf curl` (npm @bufbuild/buf), exactly as the README documents it. */
export async function bufCurl(args: string[]): Promise<string> {
  const buf = path.join(ROOT, 'node_modules', '.bin', 'buf');
  const { stdout } = await run(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args], { cwd: ROOT });
  return stdout;
}

/** The status of one gateway call sent as raw bytes (any method, any body), with or without an authorization. */
export function rawGatewayCall(
  port: number,
  method: string,
  body: Buffer,
  authorization: string | undefined,
  timeoutMs = 10_000,
): Promise<{ code: status; details: string }> {
  const client = new (makeGenericClientConstructor({}, 'clinote.gateway.v1.GatewayService') as unknown as new (
    address: string,
    creds: ChannelCredentials,
  ) => Client)(`127.0.0.1:${port}`, credentials.createInsecure());
  const metadata = new Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return new Promise((resolve) => {
    const raw = (x: Buffer) => x;
    client.makeUnaryRequest(`/clinote.gateway.v1.GatewayService/${method}`, raw, raw, body, metadata, { deadline: new Date(Date.now() + timeoutMs) }, (err: ServiceError | null) => {
      client.close();
      resolve({ code: err ? err.code : status.OK, details: err?.details ?? '' });
    });
  });
}
