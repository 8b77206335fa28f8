import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  Server,
  ServerCredentials,
  status,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type Metadata,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { SpanKind, SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import { HealthImplementation } from 'grpc-health-check';
import type { PeerCertificate } from 'node:tls';
import type { Principal } from './auth/principal.js';
import { Admission, AdmissionRefusedError, RETRY_AFTER_KEY } from './admission.js';
import { loggableError } from './error-log.js';
import { MalformedRequest, tolerantDefinition } from './malformed-request.js';
import { checkRequestBounds } from './request-bounds.js';
import { DeadlineExceededError, CancelledError } from './errors.js';
import { toGrpcStatus } from './grpc-status.js';
import type { Logger } from './logger.js';
import { extractTraceContext, type Carrier } from './tracing.js';

/** What a handler knows about its call: bounds and identity, no grpc-js types. */
export interface CallContext {
  /** Absolute deadline of the incoming call, if the caller set one. */
  deadline: Date | undefined;
  /** Aborts when the caller cancels or the deadline passes. */
  signal: AbortSignal;
  logger: Logger;
  /** The authenticated clinician the call acts for; every handler's only source of the owner. */
  principal: Principal;
}

/** What an authenticator sees of a call: its metadata and its transport's peer certificate. */
export interface IncomingCall {
  method: string;
  metadata: Metadata;
  /** The transport's view of the peer: its certificate when the connection is (m)TLS. */
  authContext: { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate };
}

/** Establishes who a call acts for, or throws UnauthenticatedError / PermissionDeniedError. */
export type Authenticator = (call: IncomingCall) => Promise<Principal>;

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

const GEN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'gen');

export interface ServiceBinding {
  /** Fully-qualified service name, e.g. clinote.context.v1.ContextService. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  /** Scope for server spans, e.g. clinote-context. */
  scope: string;
  /** The service's contract, compiled by `pnpm generate` (buf build) to gen/<contract>.binpb. */
  contract: 'gateway' | 'context' | 'embedding' | 'extraction';
  logger: Logger;
  bindings: ServiceBinding[];
  /** Runs before every handler; a call it refuses never reaches one. */
  authenticate: Authenticator;
  /** Bound on this server's calls in flight (admission control); unset: no bound. */
  admission?: Admission;
  /** Wraps every authenticated call, e.g. to open an ORM request context acting for its principal. */
  around?: <T>(ctx: CallContext, fn: () => Promise<T>) => Promise<T>;
  /** `grpc.max_connection_age_ms` and its grace; unset: 5 min and 30 s. */
  connectionAge?: { maxAgeMs: number; graceMs: number };
  /** Real readiness (database reachable), checked before SERVING is reported and then every readinessIntervalMs. */
  readiness?: () => Promise<boolean>;
  readinessIntervalMs?: number;
}

function metadataCarrier(metadata: Metadata): Carrier {
  const carrier: Carrier = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') carrier[key] = value;
  }
  return carrier;
}

function callSignal(call: ServerUnaryCall<unknown, unknown>, deadline: Date | undefined): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  // One call's signal is watched by each of its sub-operations (every text of a batch, every peer call).
  setMaxListeners(10_000, controller.signal);
  const onCancel = () => controller.abort(new CancelledError('call cancelled by the client'));
  call.once('cancelled', onCancel);
  let timer: NodeJS.Timeout | undefined;
  if (deadline) {
    const ms = deadline.getTime() - Date.now();
    const fire = () => controller.abort(new DeadlineExceededError('deadline exceeded'));
    if (ms <= 0) fire();
    // setTimeout holds at most ~24.8 days; a deadline further away than that never fires here.
    else if (ms < 2 ** 31 - 1) timer = setTimeout(fire, ms);
  }
  return {
    signal: controller.signal,
    dispose() {
      if (timer) clearTimeout(timer);
      call.removeListener('cancelled', onCancel);
    },
  };
}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): Date | undefined {
  const d = call.getDeadline();
  if (d instanceof Date) return Number.isFinite(d.getTime()) ? d : undefined;
  if (typeof d === 'number' && Number.isFinite(d)) return new Date(d);
  return undefined;
}

/** A request a handler may see: it decoded, and every field is within its bound. */
function checkedRequest<Req>(request: Req | MalformedRequest): Req {
  if (request instanceof MalformedRequest) throw request.error();
  checkRequestBounds(request);
  return request;
}

export type HandlerOptions = Pick<GrpcServerOptions, 'scope' | 'logger' | 'around' | 'authenticate' | 'admission'>;

/**
 * Adapts an async handler to grpc-js: trace context from metadata, a server span, deadline and
 * cancellation as an AbortSignal, and the one error boundary (unexpected errors are logged, never sent).
 */
export function unary<Req, Res>(
  options: HandlerOptions,
  method: string,
  handler: UnaryHandler<Req, Res>,
): handleUnaryCall<Req, Res> {
  const tracer = trace.getTracer(options.scope);
  return (call, callback) => {
    const parent = extractTraceContext(metadataCarrier(call.metadata));
    context.with(parent, () => {
      tracer.startActiveSpan(method, { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.method': method } }, (span) => {
        const deadline = deadlineOf(call as ServerUnaryCall<unknown, unknown>);
        const bound = callSignal(call as ServerUnaryCall<unknown, unknown>, deadline);
        const logger = options.logger.child({ rpc: method });
        const started = performance.now();
        const serverCall = call as ServerUnaryCall<unknown, unknown>;
        const run = async (): Promise<Res> => {
          const request = checkedRequest(call.request);
          const handle = async () => {
            const principal = await options.authenticate({ method, metadata: call.metadata, authContext: serverCall.getAuthContext() });
            const ctx: CallContext = { deadline, signal: bound.signal, logger, principal };
            return options.around ? options.around(ctx, () => handler(request, ctx)) : handler(request, ctx);
          };
          // Admission first: under overload even authentication waits for room.
          return options.admission ? options.admission.run(handle) : handle();
        };
        run().then(
          (response) => {
            span.setAttribute('rpc.grpc.status_code', status.OK);
            logger.debug({ duration_ms: performance.now() - started }, 'call ok');
            callback(null, response);
          },
          (err: unknown) => {
            const s = refusedStatus(span, logger, started, err);
            callback({ code: s.code, details: s.details, metadata: s.metadata });
          },
        ).finally(() => {
          bound.dispose();
          span.end();
        });
      });
    });
  };
}

/** The status a failed call answers with: on its span, in the log (the cause only when internal). */
function refusedStatus(span: Span, logger: Logger, started: number, err: unknown): ReturnType<typeof toGrpcStatus> {
  const s = toGrpcStatus(err);
  span.setAttribute('rpc.grpc.status_code', s.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: status[s.code] });
  if (s.internal) logger.error({ error: loggableError(err), code: status[s.code] }, 'call failed');
  else logger.info({ code: status[s.code], duration_ms: performance.now() - started }, 'call refused');
  if (err instanceof AdmissionRefusedError) s.metadata.set(RETRY_AFTER_KEY, String(err.retryAfterMs));
  return s;
}
export type ServerStreamingHandler<Req, Res> = (request: Req, ctx: CallContext) => AsyncIterable<Res>;

/**
 * Adapts a handler returning an async iterable of messages to a grpc-js server-streaming call, with
 * everything `unary` gives (trace context, a server span, bounds as an AbortSignal, authentication,
 * admission and `around` for the whole stream, the one error boundary). Each message is written as it
 * comes, the next one only once the transport took it; the status follows the last one. A client that
 * cancels aborts ctx.signal, and the iteration ends (the iterable's finally blocks run).
 */
export function serverStreaming<Req, Res>(
  options: HandlerOptions,
  method: string,
  handler: ServerStreamingHandler<Req, Res>,
): handleServerStreamingCall<Req, Res> {
  const tracer = trace.getTracer(options.scope);
  return (call) => {
    const parent = extractTraceContext(metadataCarrier(call.metadata));
    context.with(parent, () => {
      tracer.startActiveSpan(method, { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.method': method } }, (span) => {
        const serverCall = call as unknown as ServerUnaryCall<unknown, unknown>;
        const deadline = deadlineOf(serverCall);
        const bound = callSignal(serverCall, deadline);
        const logger = options.logger.child({ rpc: method });
        const started = performance.now();
        let messages = 0;
        const run = async (): Promise<void> => {
          const request = checkedRequest(call.request);
          const handle = async () => {
            const principal = await options.authenticate({ method, metadata: call.metadata, authContext: call.getAuthContext() });
            const ctx: CallContext = { deadline, signal: bound.signal, logger, principal };
            const stream = async () => {
              for await (const message of handler(request, ctx)) {
                await writeMessage(call, message, bound.signal);
                messages++;
              }
            };
            return options.around ? options.around(ctx, stream) : stream();
          };
          return options.admission ? options.admission.run(handle) : handle();
        };
        run().then(
          () => {
            span.setAttribute('rpc.grpc.status_code', status.OK);
            logger.debug({ duration_ms: performance.now() - started, messages }, 'stream ok');
            call.end();
          },
          (err: unknown) => {
            const s = refusedStatus(span, logger, started, err);
            call.emit('error', { code: s.code, details: s.details, metadata: s.metadata });
          },
        ).finally(() => {
          bound.dispose();
          span.end();
        });
      });
    });
  };
}

/** One message written, resolved once the transport took it; a cancelled call rejects instead of waiting. */
function writeMessage<Res>(call: ServerWritableStream<unknown, Res>, message: Res, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    call.write(message, (err: Error | null | undefined) => {
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    });
  });
}

/**
 * Reflection serves the service's files (and grpc.health.v1) exactly as buf compiled them
 * (gen/<contract>.binpb), so their import lists match the paths clients resolve; proto-loader's own
 * descriptors drop them and merge a package's files.
 */
function contractDescriptors(contract: GrpcServerOptions['contract']): PackageDefinition {
  const set = new BinaryReader(readFileSync(path.join(GEN_DIR, `${contract}.binpb`)));
  const files: Uint8Array[] = [];
  while (set.pos < set.len) {
    const [field, wire] = set.tag();
    if (field === 1) files.push(set.bytes());
    else set.skip(wire);
  }
  return { [`${contract}.descriptors`]: { format: 'descriptor', fileDescriptorProtos: files } } as unknown as PackageDefinition;
}

/** Binds handlers of the form (deps, request, ctx) to one service's deps, for registration. */
export function handlerBinder<D>(options: HandlerOptions, deps: D) {
  return <Req, Res>(method: string, handler: (deps: D, request: Req, ctx: CallContext) => Promise<Res>): handleUnaryCall<Req, Res> =>
    unary<Req, Res>(options, method, (request, ctx) => handler(deps, request, ctx));
}

/** As handlerBinder, for server-streaming handlers of the form (deps, request, ctx) => async iterable. */
export function streamingHandlerBinder<D>(options: HandlerOptions, deps: D) {
  return <Req, Res>(
    method: string,
    handler: (deps: D, request: Req, ctx: CallContext) => AsyncIterable<Res>,
  ): handleServerStreamingCall<Req, Res> => serverStreaming<Req, Res>(options, method, (request, ctx) => handler(deps, request, ctx));
}

export interface RunningServer {
  server: Server;
  port: number;
  health: HealthImplementation;
  /** Health NOT_SERVING, stop accepting, drain in-flight calls (bounded), then force. */
  shutdown(graceMs?: number): Promise<void>;
  /** Re-checks readiness and updates health. */
  refreshHealth(): Promise<boolean>;
}

export async function startGrpcServer(
  options: GrpcServerOptions,
  address = '0.0.0.0:0',
  credentials: ServerCredentials = ServerCredentials.createInsecure(),
): Promise<RunningServer> {
  const server = new Server({
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    // Dead clients are noticed, and long-lived connections end so clients rebalance onto new replicas.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_connection_age_ms': options.connectionAge?.maxAgeMs ?? 5 * 60_000,
    'grpc.max_connection_age_grace_ms': options.connectionAge?.graceMs ?? 30_000,
    'grpc.max_connection_idle_ms': 10 * 60_000,
  });
  for (const binding of options.bindings) server.addService(tolerantDefinition(binding.definition), binding.implementation);

  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  for (const binding of options.bindings) health.setStatus(binding.name, 'NOT_SERVING');
  health.addToServer(server);

  new ReflectionService(contractDescriptors(options.contract)).addToServer(server);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, boundPort) => (err ? reject(err) : resolve(boundPort)));
  });

  const setAll = (serving: boolean) => {
    const value = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', value);
    for (const binding of options.bindings) health.setStatus(binding.name, value);
  };
  const refreshHealth = async () => {
    let ready = true;
    try {
      ready = options.readiness ? await options.readiness() : true;
    } catch {
      ready = false;
    }
    setAll(ready);
    return ready;
  };
  await refreshHealth();
  // Health follows the database: NOT_SERVING while it is unreachable, SERVING again once it answers.
  let stopping = false;
  const probe = setInterval(() => {
    if (!stopping) void refreshHealth();
  }, options.readinessIntervalMs ?? 5_000);
  probe.unref();

  return {
    server,
    port,
    health,
    refreshHealth,
    async shutdown(graceMs = 10_000) {
      stopping = true;
      clearInterval(probe);
      setAll(false);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
