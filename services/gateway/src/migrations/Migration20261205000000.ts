import { Migration } from '@mikro-orm/migrations';

const ACTING_USER = `nullif(current_setting('app.user_id', true), '')::uuid`;

/**
 * The audit trail: one row per gateway call that read or wrote patient data. Ids, names and status
 * codes only, enforced by the column types and checks (a resource id is a UUID or nothing), so no
 * transcript, note or other content can land here.
 *
 * Append-only, whatever the role: triggers refuse UPDATE, DELETE and TRUNCATE (the runtime role's
 * table grants are re-issued after every migration, so a REVOKE alone would not hold). Erasing a
 * clinician keeps their records: who touched which record when is what an audit must still answer,
 * and the rows hold no content.
 *
 * Row-level security like every clinical table: a row belongs to the clinician whose data it concerns
 * (subject_user_id); the gateway appends and lists acting for that clinician, an admin included.
 */
export class Migration20261205000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "gateway"."audit_event" (
      "id" bigint generated always as identity primary key,
      "occurred_at" timestamptz not null default now(),
      "actor_user_id" uuid not null,
      "subject_user_id" uuid not null,
      "rpc" text not null check ("rpc" ~ '^[A-Z][A-Za-z]{0,63}$'),
      "resource_type" text not null check ("resource_type" in ('user', 'sop', 'encounter', 'extraction', 'audit_event')),
      "resource_id" uuid null,
      "outcome" text not null check ("outcome" ~ '^[A-Z_]{2,32}$'),
      "trace_id" text not null default '' check ("trace_id" ~ '^[0-9a-f]{0,32}$'))`);
    this.addSql(`create index "audit_event_subject_user_id_id_idx" on "gateway"."audit_event" ("subject_user_id", "id" desc)`);
    this.addSql(`create function "gateway"."audit_event_append_only"() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_event is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
      end
    $$`);
    this.addSql(`create trigger "audit_event_no_update_delete" before update or delete on "gateway"."audit_event"
      for each row execute function "gateway"."audit_event_append_only"()`);
    this.addSql(`create trigger "audit_event_no_truncate" before truncate on "gateway"."audit_event"
      for each statement execute function "gateway"."audit_event_append_only"()`);
    const mine = `"subject_user_id" = ${ACTING_USER}`;
    this.addSql(`alter table "gateway"."audit_event" enable row level security`);
    this.addSql(`alter table "gateway"."audit_event" force row level security`);
    this.addSql(`create policy "audit_event_acting" on "gateway"."audit_event" using (${mine}) with check (${mine})`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "gateway"."audit_event"');
    this.addSql('drop function if exists "gateway"."audit_event_append_only"()');
  }
}
