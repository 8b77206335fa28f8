import type { ServerCredentials } from '@grpc/grpc-js';
import { loggableError } from './error-log.js';
import { grpcCredentials, type TlsSettings } from './grpc-tls.js';
import type { Logger } from './logger.js';
import { startGrpcServer, type GrpcServerOptions, type RunningServer } from './grpc-server.js';

/** A started service: what tests and main.ts both get from a service's bootstrap(). */
export interface StartedService<D> {
  port: number;
  deps: D;
  server: RunningServer;
  /** Health NOT_SERVING, drain in-flight calls, then close ORM, Redis and peer channels. */
  stop(): Promise<void>;
}

export function startedService<D extends { close(): Promise<void> }>(
  server: RunningServer,
  deps: D,
  graceMs: number,
): StartedService<D> {
  let stopping: Promise<void> | undefined;
  return {
    port: server.port,
    deps,
    server,
    stop() {
      stopping ??= server.shutdown(graceMs).then(() => deps.close());
      return stopping;
    },
  };
}

/** Starts the gRPC server over already-built deps; if it cannot bind, the deps are closed again. */
export async function serve<D extends { close(): Promise<void> }>(
  deps: D,
  options: GrpcServerOptions,
  config: {
    GRPC_ADDRESS: string;
    SHUTDOWN_GRACE_MS: number;
    GRPC_MAX_CONNECTION_AGE_MS?: number;
    GRPC_MAX_CONNECTION_AGE_GRACE_MS?: number;
  } & TlsSettings,
  /** The listener's credentials; by default the internal (m)TLS ones. */
  credentials: ServerCredentials = grpcCredentials(config).server,
): Promise<StartedService<D>> {
  try {
    const connectionAge =
      options.connectionAge ??
      (config.GRPC_MAX_CONNECTION_AGE_MS === undefined
        ? undefined
        : { maxAgeMs: config.GRPC_MAX_CONNECTION_AGE_MS, graceMs: config.GRPC_MAX_CONNECTION_AGE_GRACE_MS ?? 30_000 });
    const server = await startGrpcServer({ ...options, connectionAge }, config.GRPC_ADDRESS, credentials);
    return startedService(server, deps, config.SHUTDOWN_GRACE_MS);
  } catch (err: unknown) {
    await deps.close();
    throw err;
  }
}

/** main.ts glue: start, log the port, stop cleanly on SIGTERM/SIGINT. */
export async function runMain<D>(
  name: string,
  logger: Logger,
  start: () => Promise<StartedService<D>>,
  /** Runs after the service stopped: flushes telemetry. */
  afterStop: () => Promise<void> = async () => undefined,
): Promise<void> {
  let service: StartedService<D>;
  try {
    service = await start();
  } catch (err: unknown) {
    logger.fatal({ error: loggableError(err), message: err instanceof Error ? err.message : undefined }, `${name} failed to start`);
    process.exit(1);
  }
  // Announced whatever LOG_LEVEL says: process supervisors (and `pnpm start`) learn the port from it.
  logger.child({}, { level: 'info' }).info({ port: service.port }, `${name} listening`);
  const shutdown = (signal: string) => {
    logger.info({ signal }, `${name} shutting down`);
    service
      .stop()
      .then(afterStop)
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ error: loggableError(err) }, `${name} shutdown failed`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
