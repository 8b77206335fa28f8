// Container health probe: grpc.health.v1 Check against this container's own server, dialled the
// way that listener expects. The gateway's public listener (SERVICE=gateway) is plaintext, or
// one-way TLS with PUBLIC_TLS_*; internal services require mTLS when GRPC_TLS_* are set, and the
// probe presents the container's own certificate (health needs no identity token).
//   node --import tsx scripts/healthcheck.ts [host:port]
import { grpcCredentials } from '@clinote/shared/grpc-tls.js';
import { LOOPBACK_TLS_NAME, probeHealth, publicClientCredentials } from './lib/processes.js';

const address = process.argv[2] ?? '127.0.0.1:50051';
const gateway = process.env.SERVICE === 'gateway';
const creds = gateway ? publicClientCredentials(process.env) : grpcCredentials(process.env).client;

probeHealth(address, creds, 2_000, gateway ? undefined : LOOPBACK_TLS_NAME).then(
  (status) => process.exit(status === 'SERVING' ? 0 : 1),
  (err: unknown) => {
    process.stderr.write(`unhealthy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
