import {
  context,
  metrics,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

export interface Carrier {
  [key: string]: string;
}

/** Puts the active trace context into a plain carrier (gRPC metadata is filled from it). */
export function injectTraceContext(ctx: Context = context.active()): Carrier {
  const carrier: Carrier = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

export function extractTraceContext(carrier: Carrier): Context {
  return propagation.extract(context.active(), carrier);
}

export function activeTraceId(): string {
  return trace.getActiveSpan()?.spanContext().traceId ?? '';
}

const phaseHistograms = new Map<string, ReturnType<ReturnType<typeof metrics.getMeter>['createHistogram']>>();

function phaseHistogram(scope: string) {
  let histogram = phaseHistograms.get(scope);
  if (!histogram) {
    histogram = metrics.getMeter(scope).createHistogram('clinote_phase_duration_ms', {
      description: 'Duration of one extraction pipeline phase',
      unit: 'ms',
    });
    phaseHistograms.set(scope, histogram);
  }
  return histogram;
}

export interface PhaseResult<T> {
  value: T;
  durationMs: number;
}

/**
 * Runs `fn` inside a span named after the phase and records the phase's duration histogram.
 * Attributes must never hold patient text.
 */
export async function runPhase<T>(
  scope: string,
  phase: string,
  fn: (span: Span) => Promise<T>,
  attributes: Attributes = {},
): Promise<PhaseResult<T>> {
  const tracer = trace.getTracer(scope);
  return tracer.startActiveSpan(phase, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    const started = performance.now();
    let outcome = 'ok';
    try {
      const value = await fn(span);
      return { value, durationMs: performance.now() - started };
    } catch (err: unknown) {
      outcome = 'error';
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      phaseHistogram(scope).record(performance.now() - started, { phase, outcome });
      span.end();
    }
  });
}
