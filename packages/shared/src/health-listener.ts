// A plaintext listener serving grpc.health.v1 and nothing else, for the orchestrator's native gRPC
// probes (the kubelet's speak no TLS, and with internal mTLS the main port admits only peers with a
// certificate). It shares the main server's HealthImplementation, so it says what that one says:
// SERVING only while the database answers, NOT_SERVING from the start of a drain.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';

export interface HealthListener {
  port: number;
  close(): Promise<void>;
}

export async function startHealthListener(health: HealthImplementation, port: number, host = '0.0.0.0'): Promise<HealthListener> {
  const server = new Server();
  health.addToServer(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
