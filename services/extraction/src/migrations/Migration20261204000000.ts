import { Migration } from '@mikro-orm/migrations';

const ACTING_USER = `nullif(current_setting('app.user_id', true), '')::uuid`;

/**
 * The LLM's work per idempotency key: a retried extraction (after a crash, a timeout, a lost
 * answer) returns it instead of calling the LLM and billing again. Recorded in the transaction that
 * records its usage, so the two never disagree. Row-level security like every clinical table.
 */
export class Migration20261204000000 extends Migration {
  override async up(): Promise<void> {
    const mine = `"user_id" = ${ACTING_USER}`;
    this.addSql(`create table "extraction"."extraction_record" (
      "user_id" uuid not null,
      "idempotency_key" text not null check (length("idempotency_key") between 1 and 200),
      "request_hash" text not null,
      "response" jsonb not null,
      "created_at" timestamptz not null default now(),
      primary key ("user_id", "idempotency_key"))`);
    this.addSql(`alter table "extraction"."extraction_record" enable row level security`);
    this.addSql(`alter table "extraction"."extraction_record" force row level security`);
    this.addSql(`create policy "extraction_record_acting" on "extraction"."extraction_record" using (${mine}) with check (${mine})`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "extraction"."extraction_record"`);
  }
}
