import {
  credentials as grpcCredentials,
  InterceptingCall,
  Metadata,
  type Interceptor,
  status,
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type ClientReadableStream,
  type ClientUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { CancelledError, DeadlineExceededError } from './errors.js';
import { PeerStatusError } from './grpc-status.js';
import { injectTraceContext } from './tracing.js';

/** Bounds a handler passes on to every outgoing call. */
export interface OutgoingBounds {
  deadline?: Date | undefined;
  signal?: AbortSignal | undefined;
  /** Extra metadata for the peer, e.g. the caller's identity token. */
  metadata?: Record<string, string> | undefined;
}

export interface PeerOptions {
  /** host:port, or dns:///name:port to balance over every replica behind one name. */
  address: string;
  credentials?: ChannelCredentials;
  /** Used when the caller has no deadline of its own: nothing calls out without a bound. */
  defaultTimeoutMs: number;
}

/**
 * Methods safe to send again after UNAVAILABLE: reads, and writes whose repetition is harmless
 * (embedding is cached; evaluation is pure). Extraction may bill an LLM and saves may create rows:
 * those are never retried by the channel.
 */
const RETRYABLE = [
  { service: 'clinote.context.v1.ContextService', method: 'GatherContext' },
  { service: 'clinote.context.v1.ContextService', method: 'SelectContext' },
  { service: 'clinote.context.v1.ContextService', method: 'GetEncounter' },
  { service: 'clinote.context.v1.ContextService', method: 'ListEncounters' },
  { service: 'clinote.context.v1.ContextService', method: 'ListSops' },
  { service: 'clinote.embedding.v1.EmbeddingService', method: 'EmbedBatch' },
  { service: 'clinote.embedding.v1.EmbeddingService', method: 'GetCacheStats' },
  { service: 'clinote.extraction.v1.ExtractionService', method: 'Evaluate' },
  // Erasure steps: deleting what is already gone succeeds.
  { service: 'clinote.context.v1.ContextService', method: 'EraseUserData' },
  { service: 'clinote.embedding.v1.EmbeddingService', method: 'EraseUser' },
  { service: 'clinote.extraction.v1.ExtractionService', method: 'EraseUser' },
];

/** Round robin over every replica; UNAVAILABLE retried on idempotent methods within a retry budget. */
export const PEER_SERVICE_CONFIG = {
  loadBalancingConfig: [{ round_robin: {} }],
  methodConfig: [
    {
      name: RETRYABLE,
      retryPolicy: {
        maxAttempts: 3,
        initialBackoff: '0.05s',
        maxBackoff: '0.5s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    },
  ],
  // The budget: retries stop when more than half the recent calls failed (gRFC A6 throttling).
  retryThrottling: { maxTokens: 10, tokenRatio: 0.1 },
};

type ClientCtor<C> = new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>) => C;

export function createPeerClient<C extends Client>(Ctor: ClientCtor<C>, options: PeerOptions): C {
  return new Ctor(options.address, options.credentials ?? grpcCredentials.createInsecure(), {
    // Round robin over every address the name resolves to, so replicas share the load.
    'grpc.service_config': JSON.stringify(PEER_SERVICE_CONFIG),
    'grpc.keepalive_time_ms': 30_000,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    // A restarted peer is found again within about a second. grpc-js's default backoff (1 s, ×1.6 up to
    // 120 s) kept the gateway failing for seconds after a peer was back (the fault suite measured up to 6.8 s),
    // and would for up to two minutes after a long outage.
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 1_000,
  });
}

export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * One unary call with the caller's deadline (or a default bound), cancellation and trace context.
 * Peer statuses come back as PeerStatusError so they pass through our own error mapping unchanged.
 */
export function callUnary<Req, Res>(
  client: Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  bounds: OutgoingBounds,
  defaultTimeoutMs: number,
): Promise<Res> {
  if (bounds.signal?.aborted) return Promise.reject(new CancelledError('call cancelled before sending'));
  // The caller's deadline when it has one (it may allow longer than the default); a bound in any case.
  const deadline = bounds.deadline ?? new Date(Date.now() + defaultTimeoutMs);
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(injectTraceContext())) metadata.set(key, value);
  for (const [key, value] of Object.entries(bounds.metadata ?? {})) metadata.set(key, value);
  return new Promise<Res>((resolve, reject) => {
    let cancelledHere = false;
    const call = method.call(client, request, metadata, { deadline }, (err, response) => {
      bounds.signal?.removeEventListener('abort', onAbort);
      if (!err) return resolve(response);
      if (cancelledHere && err.code === status.CANCELLED) return reject(new CancelledError('call cancelled'));
      if (err.code === status.DEADLINE_EXCEEDED) return reject(new DeadlineExceededError('peer deadline exceeded'));
      reject(new PeerStatusError(err.code, err.details, err.metadata));
    });
    function onAbort() {
      cancelledHere = true;
      call.cancel();
    }
    bounds.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** For scripts and tests: calls on one client, each with the same bound and no parent call. */
export function clientCaller(client: Client, timeoutMs: number, metadata?: Record<string, string>) {
  return <Req, Res>(method: UnaryMethod<Req, Res>, request: Req): Promise<Res> => callUnary(client, method, request, { metadata }, timeoutMs);
}

/**
 * Sets one metadata entry on every call of a client (a grpc-js client interceptor). The value may be
 * computed per call, also asynchronously; when that fails the call goes without it (and is refused).
 */
export function metadataInterceptor(key: string, value: string | (() => string | Promise<string>)): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        Promise.resolve()
          .then(() => (typeof value === 'string' ? value : value()))
          .then(
            (resolved) => {
              metadata.set(key, resolved);
              next(metadata, listener);
            },
            () => next(metadata, listener),
          );
      },
    });
}

/** Adds `authorization: Bearer <token>` to every call of a client. */
export function bearerInterceptor(token: string | (() => string)): Interceptor {
  return metadataInterceptor('authorization', () => `Bearer ${typeof token === 'string' ? token : token()}`);
}

export type ServerStreamingMethod<Req, Res> = (request: Req, metadata: Metadata, options?: Partial<CallOptions>) => ClientReadableStream<Res>;

/**
 * One server-streaming call, as callUnary: the caller's deadline (or a default bound) over the whole
 * stream, cancellation (aborting the signal, or stopping the iteration, cancels the call) and trace
 * context. Messages come as they arrive; a status other than OK ends the iteration with the same
 * errors callUnary rejects with.
 */
export async function* callServerStreaming<Req, Res>(
  client: Client,
  method: ServerStreamingMethod<Req, Res>,
  request: Req,
  bounds: OutgoingBounds,
  defaultTimeoutMs: number,
): AsyncGenerator<Res, void, undefined> {
  if (bounds.signal?.aborted) throw new CancelledError('call cancelled before sending');
  const deadline = bounds.deadline ?? new Date(Date.now() + defaultTimeoutMs);
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(injectTraceContext())) metadata.set(key, value);
  for (const [key, value] of Object.entries(bounds.metadata ?? {})) metadata.set(key, value);
  const call = method.call(client, request, metadata, { deadline });
  let cancelledHere = false;
  const onAbort = () => {
    cancelledHere = true;
    call.cancel();
  };
  bounds.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const message of call) yield message as Res;
  } catch (err: unknown) {
    const e = err as Partial<ServiceError>;
    if (typeof e.code !== 'number') throw err;
    if (cancelledHere && e.code === status.CANCELLED) throw new CancelledError('call cancelled');
    if (e.code === status.DEADLINE_EXCEEDED) throw new DeadlineExceededError('peer deadline exceeded');
    throw new PeerStatusError(e.code, e.details ?? '', e.metadata ?? new Metadata());
  } finally {
    bounds.signal?.removeEventListener('abort', onAbort);
    // A consumer that stopped early: the peer stops too (a no-op once the status arrived).
    call.cancel();
  }
}
