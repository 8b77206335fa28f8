import { trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs, one line per event, carrying the service name and the active trace id.
 * Callers log ids, counts and durations only: never transcript text or extracted values.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', file?: string): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
  };
  // LOG_FILE sends the JSON lines to a file (appended, written synchronously) instead of stdout.
  return file ? pino(options, pino.destination({ dest: file, append: true, sync: true, mkdir: true })) : pino(options);
}
