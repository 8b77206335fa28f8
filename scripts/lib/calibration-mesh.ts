// The calibration of `pnpm bench load`: a trivial gateway and two peers with the mesh's hop shape
// (client → gateway → two parallel peer calls → answer), the same payload size and the same
// transports (public plaintext, internal mTLS when GRPC_TLS_* are set), doing no work of their own.
// Every load figure is also printed as a ratio to this. One process per role:
//   node --import tsx scripts/lib/calibration-mesh.ts --role peer
//   node --import tsx scripts/lib/calibration-mesh.ts --role gateway --peers 127.0.0.1:P1,127.0.0.1:P2
// Prints {"msg":"calibration-<role> listening","port":P} once listening.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  Server,
  ServerCredentials,
  credentials,
  makeGenericClientConstructor,
  type Client,
  type ServiceDefinition,
  type ServiceError,
  type handleUnaryCall,
} from '@grpc/grpc-js';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';

const bytes = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };

/** One unary method on raw bytes: no codec cost beyond the transport's. */
export const CALIBRATION_SERVICE: ServiceDefinition = {
  call: {
    path: '/clinote.bench.v1.CalibrationService/Call',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  },
};

export type CalibrationClient = Client & {
  call(req: Buffer, options: { deadline: Date }, cb: (err: ServiceError | null, res?: Buffer) => void): void;
};
export const CalibrationClientCtor = makeGenericClientConstructor(CALIBRATION_SERVICE, 'CalibrationService') as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
  options?: Record<string, unknown>,
) => CalibrationClient;

export function callOnce(client: CalibrationClient, payload: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.call(payload, { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => (err ? reject(err) : resolve(res!))),
  );
}

async function serve(impl: handleUnaryCall<Buffer, Buffer>, creds: ServerCredentials): Promise<number> {
  const server = new Server();
  server.addService(CALIBRATION_SERVICE, { call: impl });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => server.tryShutdown(() => process.exit(0)));
  return port;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { role: { type: 'string' }, peers: { type: 'string', default: '' } },
  });
  const internal = grpcCredentials(process.env);
  let port: number;
  if (values.role === 'peer') {
    // The peer answers with what it was sent, as big as the request (a transcript's worth).
    port = await serve((call, cb) => cb(null, call.request), internal.server);
  } else if (values.role === 'gateway') {
    const peers = values.peers.split(',').filter(Boolean).map((a) => new CalibrationClientCtor(a, internal.client, { 'grpc.ssl_target_name_override': 'localhost' }));
    if (peers.length !== 2) throw new Error('--peers needs two addresses');
    port = await serve((call, cb) => {
      Promise.all(peers.map((p) => callOnce(p, call.request, 30_000))).then(
        ([first]) => cb(null, first!),
        (err: ServiceError) => cb(err),
      );
    }, ServerCredentials.createInsecure());
  } else {
    throw new Error('--role peer|gateway');
  }
  process.stdout.write(`${JSON.stringify({ msg: `calibration-${values.role} listening`, port })}\n`);
}
