import OpenAI from 'openai';
import {
  CancelledError,
  DeadlineExceededError,
  DomainError,
  UnavailableError,
  throwIfAborted,
} from '@clinote/shared/errors.js';
import type { CallBounds, Embedder } from './embedder.js';
import { normalizeL2 } from './embedder.js';

export interface OpenAiEmbedderOptions {
  apiKey: string;
  /** An OpenAI-compatible endpoint; the SDK default when absent. */
  baseURL?: string;
  model: string;
  /** Requested output size; required for models whose native size is not known here. */
  dimensions?: number;
  /** Bumped by operators when the provider silently changes a model's vectors. */
  version?: string;
  /** Per attempt, used when the caller gives no deadline. */
  timeoutMs?: number;
  maxRetries?: number;
}

const NATIVE_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** Embeddings from an OpenAI-compatible API, carrying the caller's deadline and cancellation. */
export class OpenAiEmbedder implements Embedder {
  readonly model: string;
  readonly version: string;
  readonly dimensions: number;
  private readonly requestDimensions: number | undefined;
  private readonly client: OpenAI;
  private readonly timeoutMs: number;

  constructor(options: OpenAiEmbedderOptions) {
    const dimensions = options.dimensions ?? NATIVE_DIMENSIONS[options.model];
    if (dimensions === undefined) {
      throw new RangeError(`dimensions must be given for embedding model ${options.model}`);
    }
    this.model = options.model;
    this.dimensions = dimensions;
    this.requestDimensions = options.dimensions;
    this.version = `${options.version ?? '1'}.${dimensions}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries ?? 1,
      timeout: this.timeoutMs,
    });
  }

  async embed(texts: string[], bounds: CallBounds): Promise<Float32Array[]> {
    throwIfAborted(bounds.signal);
    if (texts.length === 0) return [];
    const timeout = bounds.deadline ? bounds.deadline.getTime() - Date.now() : this.timeoutMs;
    if (timeout <= 0) throw new DeadlineExceededError('embedding deadline exceeded');

    let response: OpenAI.Embeddings.CreateEmbeddingResponse;
    try {
      response = await this.client.embeddings.create(
        {
          model: this.model,
          input: texts,
          encoding_format: 'float',
          ...(this.requestDimensions !== undefined ? { dimensions: this.requestDimensions } : {}),
        },
        { signal: bounds.signal, timeout },
      );
    } catch (error) {
      throw this.toDomainError(error, bounds);
    }

    if (response.data.length !== texts.length) {
      throw new UnavailableError('embedding provider returned a different number of vectors');
    }
    const vectors = new Array<Float32Array>(texts.length);
    for (const item of response.data) {
      if (item.index < 0 || item.index >= texts.length || item.embedding.length !== this.dimensions) {
        throw new UnavailableError('embedding provider returned a malformed vector');
      }
      vectors[item.index] = normalizeL2(Float32Array.from(item.embedding));
    }
    if (vectors.some((v) => v === undefined)) {
      throw new UnavailableError('embedding provider returned a malformed vector');
    }
    return vectors;
  }

  // Messages carry the status only: provider error bodies may echo the input text.
  private toDomainError(error: unknown, bounds: CallBounds): DomainError {
    if (error instanceof DomainError) return error;
    if (error instanceof OpenAI.APIUserAbortError || bounds.signal?.aborted) {
      const reason: unknown = bounds.signal?.reason;
      if (reason instanceof DomainError) return reason;
      return new CancelledError('embedding call cancelled');
    }
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return new DeadlineExceededError('embedding provider timed out');
    }
    if (error instanceof OpenAI.APIConnectionError) {
      return new UnavailableError('embedding provider unreachable');
    }
    if (error instanceof OpenAI.APIError) {
      return new UnavailableError(`embedding provider refused the request (status ${String(error.status)})`);
    }
    return new UnavailableError('embedding provider failed');
  }
}
