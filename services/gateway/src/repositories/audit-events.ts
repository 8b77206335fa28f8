// The gateway's audit trail (table "gateway"."audit_event"): appended once per call, listed by
// admins. Both act for the clinician whose data a record concerns, as row-level security expects.
import type { EntityManager } from '@mikro-orm/postgresql';
import { actingAs, currentActingIdentity } from '@clinote/shared/orm.js';
import { GroupCommitAudit } from '../audit/group-commit.js';

export type AuditResourceType = 'user' | 'sop' | 'encounter' | 'extraction' | 'audit_event';

export interface AuditEventRecord {
  actorUserId: string;
  subjectUserId: string;
  rpc: string;
  resourceType: AuditResourceType;
  /** A UUID, or null for collections. */
  resourceId: string | null;
  /** "OK" or a status code name. */
  outcome: string;
  traceId: string;
}

export interface StoredAuditEvent extends AuditEventRecord {
  id: number;
  occurredAt: Date;
}

export interface AuditEventFilter {
  subjectUserId: string;
  /** At or after. */
  from?: Date | undefined;
  /** Before. */
  to?: Date | undefined;
  /** Only records older than this id (the previous page's last). */
  beforeId?: number | undefined;
  limit: number;
}

interface AuditEventRow {
  id: string | number;
  occurred_at: Date | string;
  actor_user_id: string;
  subject_user_id: string;
  rpc: string;
  resource_type: AuditResourceType;
  resource_id: string | null;
  outcome: string;
  trace_id: string;
}

export class AuditEventRepository {
  /** Concurrent calls' records go in together (see group-commit.ts); each caller still awaits its own. */
  private readonly group = new GroupCommitAudit({ appendAll: (subject, events) => this.appendAll(subject, events) });

  constructor(private readonly em: () => EntityManager) {}

  /**
   * Records one call, acting for the clinician whose data it concerned. Deliberately without the
   * call's deadline and cancellation: a call that timed out or was cancelled is recorded too (the
   * configured statement timeout still bounds it).
   */
  append(event: AuditEventRecord): Promise<void> {
    return this.group.append(event);
  }

  /** One insert of records that all concern `subjectUserId`, acting for them. */
  appendAll(subjectUserId: string, events: readonly AuditEventRecord[]): Promise<void> {
    return actingAs({ userId: subjectUserId }, async () => {
      const rows = events.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
      const params = events.flatMap((e) => [e.actorUserId, e.subjectUserId, e.rpc, e.resourceType, e.resourceId, e.outcome, e.traceId]);
      await this.em()
        .getConnection()
        .execute(
          `insert into "gateway"."audit_event" ("actor_user_id", "subject_user_id", "rpc", "resource_type", "resource_id", "outcome", "trace_id")
           values ${rows}`,
          params,
          'run',
        );
    });
  }

  /** Newest first, keyset-paged on the id through the (subject_user_id, id) index. */
  list(filter: AuditEventFilter): Promise<StoredAuditEvent[]> {
    // Within the call's deadline and cancellation, as any read.
    return actingAs({ ...currentActingIdentity(), userId: filter.subjectUserId, subject: undefined }, async () => {
      const where = ['"subject_user_id" = ?'];
      const params: unknown[] = [filter.subjectUserId];
      if (filter.from) {
        where.push('"occurred_at" >= ?');
        params.push(filter.from);
      }
      if (filter.to) {
        where.push('"occurred_at" < ?');
        params.push(filter.to);
      }
      if (filter.beforeId !== undefined) {
        where.push('"id" < ?');
        params.push(filter.beforeId);
      }
      params.push(filter.limit);
      const rows = await this.em()
        .getConnection()
        .execute<AuditEventRow[]>(
          `select "id", "occurred_at", "actor_user_id", "subject_user_id", "rpc", "resource_type", "resource_id", "outcome", "trace_id"
           from "gateway"."audit_event" where ${where.join(' and ')} order by "id" desc limit ?`,
          params,
        );
      return rows.map((r) => ({
        id: Number(r.id),
        occurredAt: new Date(r.occurred_at),
        actorUserId: r.actor_user_id,
        subjectUserId: r.subject_user_id,
        rpc: r.rpc,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        outcome: r.outcome,
        traceId: r.trace_id,
      }));
    });
  }
}
