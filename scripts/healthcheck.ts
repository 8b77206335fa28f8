// Container health probe: one grpc.health.v1 Check against this container's own server, dialled the
// way that listener expects, then exit 0 (SERVING) or 1. Compiled into the image by `pnpm build`
// (node packages/shared/scripts/healthcheck.js), so a probe costs one small node process, no tsx.
// The gateway's public listener (SERVICE=gateway) is plaintext, or one-way TLS with PUBLIC_TLS_*;
// internal services require mTLS when GRPC_TLS_* are set, and the probe presents the container's
// own certificate (health needs no identity token). With HEALTH_PORT set, dial that plaintext
// health-only listener instead.
//   node --import tsx scripts/healthcheck.ts [host:port]
import { readFileSync } from 'node:fs';
import { credentials, makeGenericClientConstructor, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';

const env = process.env;
const gateway = env.SERVICE === 'gateway';
const healthPort = env.HEALTH_PORT && env.HEALTH_PORT !== '0' ? env.HEALTH_PORT : undefined;
const address = process.argv[2] ?? `127.0.0.1:${healthPort ?? '50051'}`;

function channelCredentials(): ChannelCredentials {
  if (healthPort && !process.argv[2]) return credentials.createInsecure();
  if (!gateway) return grpcCredentials(env).client;
  if (!env.PUBLIC_TLS_CERT) return credentials.createInsecure();
  // Its own listener on loopback: encrypted, and checked against PUBLIC_TLS_CA when given.
  return env.PUBLIC_TLS_CA ? credentials.createSsl(readFileSync(env.PUBLIC_TLS_CA)) : credentials.createSsl(null, null, null, { rejectUnauthorized: false });
}

const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
// Our certificates name `localhost` besides 127.0.0.1; TLS to an IP would send it as SNI.
const client = new HealthClient(address, channelCredentials(), gateway ? {} : { 'grpc.ssl_target_name_override': 'localhost' }) as unknown as {
  check(req: { service: string }, options: { deadline: Date }, cb: (err: ServiceError | null, res?: { status: string | number }) => void): void;
  close(): void;
};
client.check({ service: '' }, { deadline: new Date(Date.now() + 2_000) }, (err, res) => {
  client.close();
  if (err) process.stderr.write(`unhealthy: ${err.message}\n`);
  process.exit(!err && (res?.status === 'SERVING' || res?.status === 1) ? 0 : 1);
});
