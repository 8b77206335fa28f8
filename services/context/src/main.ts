import { prometheusFromEnvironment } from '@clinote/shared/metrics.js';
import { initTelemetry, otlpFromEnvironment } from '@clinote/shared/telemetry.js';

// Telemetry before grpc-js loads; METRICS_PORT adds the Prometheus endpoint's reader.
const prometheus = prometheusFromEnvironment();
const telemetry = initTelemetry({ ...otlpFromEnvironment(), metricReaders: prometheus ? [prometheus.reader] : [], serviceName: 'clinote-context' });

const { createLogger } = await import('@clinote/shared/logger.js');
const { runMain } = await import('@clinote/shared/service.js');
const { opsEndpoints } = await import('@clinote/shared/ops-endpoints.js');
const { loadConfig } = await import('./config.js');
const { startContext } = await import('./server.js');

const logger = createLogger('context');
await runMain('context', logger, () => startContext(loadConfig()).then(opsEndpoints('context', logger, prometheus)), () => telemetry.shutdown());
