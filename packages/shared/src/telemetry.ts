// Telemetry SDK set-up: call once per process, before grpc-js loads (main.ts imports this first).
// Application code imports only @opentelemetry/api.
import { metrics, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { RpcMetricsSpanProcessor } from './metrics.js';

export interface TelemetryOptions {
  serviceName: string;
  /** Exporter for spans; tests pass an InMemorySpanExporter (exported synchronously). */
  spanExporter?: SpanExporter;
  metricReader?: MetricReader;
  /** Further readers, e.g. the Prometheus endpoint's (metrics.ts). */
  metricReaders?: MetricReader[];
}

export interface Telemetry {
  tracerProvider: NodeTracerProvider;
  meterProvider: MeterProvider;
  shutdown(): Promise<void>;
}

let installed: Telemetry | undefined;

/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT set (the standard OpenTelemetry variable, e.g. a collector or
 * Jaeger at http://localhost:4318), spans and metrics leave the process over OTLP/HTTP.
 */
export function otlpFromEnvironment(env: NodeJS.ProcessEnv = process.env): Pick<TelemetryOptions, 'spanExporter' | 'metricReader'> {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/$/, '');
  if (!endpoint) return {};
  return {
    spanExporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }),
    metricReader: new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
      exportIntervalMillis: 15_000,
    }),
  };
}

export function initTelemetry(options: TelemetryOptions): Telemetry {
  if (installed) return installed;
  // Request counts and durations by method and status, from the server spans (metrics.ts).
  const spanProcessors: SpanProcessor[] = [new RpcMetricsSpanProcessor()];
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
    readers: [...(options.metricReader ? [options.metricReader] : []), ...(options.metricReaders ?? [])],
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
