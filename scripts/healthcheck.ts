// Container health probe: grpc.health.v1 Check against this container's own server.
import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const address = process.argv[2] ?? '127.0.0.1:50051';
const Client = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health') as unknown as new (
  a: string,
  c: ReturnType<typeof credentials.createInsecure>,
) => { check(r: { service: string }, o: { deadline: Date }, cb: (e: ServiceError | null, r: { status: string }) => void): void };

new Client(address, credentials.createInsecure()).check({ service: '' }, { deadline: new Date(Date.now() + 2000) }, (err, res) => {
  process.exit(!err && res.status === 'SERVING' ? 0 : 1);
});
