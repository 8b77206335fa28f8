// Admission control: a bound on the calls one server works on at once. Above it a call is refused
// at once with RESOURCE_EXHAUSTED and a retry hint, rather than queued until deadlines pass.
import { metrics, type Counter, type UpDownCounter } from '@opentelemetry/api';
import { ResourceExhaustedError } from './errors.js';

/** Metadata key of the hint: how long a client should wait before retrying, in milliseconds. */
export const RETRY_AFTER_KEY = 'retry-after-ms';

export class AdmissionRefusedError extends ResourceExhaustedError {
  constructor(readonly retryAfterMs: number) {
    super('the service is at capacity: retry later');
  }
}

export class Admission {
  private inFlight = 0;
  // Meters are taken when the server is built, after main.ts installed the SDK.
  private readonly inFlightGauge: UpDownCounter = metrics.getMeter('clinote-admission').createUpDownCounter('clinote_rpc_server_in_flight', {
    description: 'Calls admitted and not yet answered',
  });
  private readonly shedCounter: Counter = metrics.getMeter('clinote-admission').createCounter('clinote_rpc_server_shed', {
    description: 'Calls refused at capacity (RESOURCE_EXHAUSTED before any work)',
  });

  constructor(
    readonly maxInFlight: number,
    private readonly retryAfterMs = 200,
  ) {}

  get current(): number {
    return this.inFlight;
  }

  /** Runs fn if there is room, else throws AdmissionRefusedError without running it. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.maxInFlight) {
      this.shedCounter.add(1);
      throw new AdmissionRefusedError(this.retryAfterMs);
    }
    this.inFlight++;
    this.inFlightGauge.add(1);
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.inFlightGauge.add(-1);
    }
  }
}
