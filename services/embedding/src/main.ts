import { initTelemetry, otlpFromEnvironment } from '@clinote/shared/telemetry.js';

// Telemetry before grpc-js loads.
const telemetry = initTelemetry({ ...otlpFromEnvironment(), serviceName: 'clinote-embedding' });

const { createLogger } = await import('@clinote/shared/logger.js');
const { runMain } = await import('@clinote/shared/service.js');
const { loadConfig } = await import('./config.js');
const { startEmbedding } = await import('./server.js');

await runMain('embedding', createLogger('embedding'), () => startEmbedding(loadConfig()), () => telemetry.shutdown());
