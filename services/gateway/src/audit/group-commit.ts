// Group commit for the audit trail: while one clinician's insert is in flight, the records of their
// other calls queue and go in the next insert, together. Nobody waits for a timer (a lone call is
// written at once), and every caller still answers only after its own record is committed. Records
// are grouped by the clinician they concern because row-level security checks each row against the
// one identity its statement acts for.
import type { AuditEventRecord } from '../repositories/audit-events.js';

export interface AuditRowWriter {
  /** One insert of every record (all concerning `subjectUserId`). */
  appendAll(subjectUserId: string, events: readonly AuditEventRecord[]): Promise<void>;
}

interface Waiting {
  event: AuditEventRecord;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommitAudit {
  /** Per clinician: the records waiting for the insert in flight to finish. */
  private readonly queues = new Map<string, Waiting[]>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly writer: AuditRowWriter,
    /** At most this many records per insert. */
    private readonly maxBatch = 500,
  ) {}

  append(event: AuditEventRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const subject = event.subjectUserId;
      const queue = this.queues.get(subject);
      if (queue) queue.push({ event, resolve, reject });
      else this.queues.set(subject, [{ event, resolve, reject }]);
      if (!this.inFlight.has(subject)) void this.drain(subject);
    });
  }

  private async drain(subject: string): Promise<void> {
    this.inFlight.add(subject);
    try {
      for (;;) {
        const queue = this.queues.get(subject);
        if (!queue || queue.length === 0) break;
        const batch = queue.splice(0, this.maxBatch);
        if (queue.length === 0) this.queues.delete(subject);
        try {
          await this.writer.appendAll(subject, batch.map((w) => w.event));
          for (const w of batch) w.resolve();
        } catch (err: unknown) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.inFlight.delete(subject);
    }
  }
}
