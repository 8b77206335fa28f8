// main.ts glue for the operations listeners beside a service's gRPC port: /metrics (METRICS_PORT)
// and the plaintext health-only gRPC listener (HEALTH_PORT). Each is off when its variable is unset;
// port 0 takes a free one. Both ports are logged before the service's own "listening" line.
import { z } from 'zod';
import { optionalEnv, parseEnv } from './config.js';
import { startHealthListener } from './health-listener.js';
import type { Logger } from './logger.js';
import { serveMetrics, type PrometheusReader } from './metrics.js';
import type { StartedService } from './service.js';

const port = z.coerce.number().int().min(0).max(65535);
const opsEnv = z.object({
  METRICS_PORT: optionalEnv(port),
  HEALTH_PORT: optionalEnv(port),
  OPS_HOST: z.string().default('0.0.0.0'),
});

export function opsEndpoints(name: string, logger: Logger, prometheus: PrometheusReader | undefined, env: NodeJS.ProcessEnv = process.env) {
  const settings = parseEnv(opsEnv, env);
  const announce = logger.child({}, { level: 'info' });
  return async <D>(service: StartedService<D>): Promise<StartedService<D>> => {
    try {
      if (prometheus && settings.METRICS_PORT !== undefined) {
        const metrics = await serveMetrics(prometheus.exporter, settings.METRICS_PORT, settings.OPS_HOST);
        announce.info({ port: metrics.port }, `${name} metrics listening`);
      }
      if (settings.HEALTH_PORT !== undefined) {
        const health = await startHealthListener(service.server.health, settings.HEALTH_PORT, settings.OPS_HOST);
        announce.info({ port: health.port }, `${name} health listening`);
      }
    } catch (err: unknown) {
      await service.stop();
      throw err;
    }
    return service;
  };
}
