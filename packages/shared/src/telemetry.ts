// Telemetry SDK set-up: call once per process, before grpc-js loads (main.ts imports this first).
// Application code imports only @opentelemetry/api.
import { metrics, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface TelemetryOptions {
  serviceName: string;
  /** Exporter for spans; tests pass an InMemorySpanExporter (exported synchronously). */
  spanExporter?: SpanExporter;
  metricReader?: MetricReader;
}

export interface Telemetry {
  tracerProvider: NodeTracerProvider;
  meterProvider: MeterProvider;
  shutdown(): Promise<void>;
}

let installed: Telemetry | undefined;

export function initTelemetry(options: TelemetryOptions): Telemetry {
  if (installed) return installed;
  const spanProcessors: SpanProcessor[] = [];
  if (options.spanExporter) {
    spanProcessors.push(
      process.env.NODE_ENV === 'test' || process.env.VITEST
        ? new SimpleSpanProcessor(options.spanExporter)
        : new BatchSpanProcessor(options.spanExporter),
    );
  }
  const resource = resourceFromAttributes({ 'service.name': options.serviceName });
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
  tracerProvider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: options.metricReader ? [options.metricReader] : [],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  installed = {
    tracerProvider,
    meterProvider,
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      propagation.disable();
      installed = undefined;
    },
  };
  return installed;
}
