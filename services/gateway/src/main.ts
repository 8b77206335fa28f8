import { initTelemetry, otlpFromEnvironment } from '@clinote/shared/telemetry.js';

// Telemetry before grpc-js loads.
const telemetry = initTelemetry({ ...otlpFromEnvironment(), serviceName: 'clinote-gateway' });

const { createLogger } = await import('@clinote/shared/logger.js');
const { runMain } = await import('@clinote/shared/service.js');
const { loadConfig } = await import('./config.js');
const { startGateway } = await import('./server.js');

const logger = createLogger('gateway');
await runMain('gateway', logger, () => startGateway(loadConfig()), () => telemetry.shutdown());
