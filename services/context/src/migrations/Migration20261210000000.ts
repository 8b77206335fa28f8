import { Migration } from '@mikro-orm/migrations';

const ACTING_USER = `nullif(current_setting('app.user_id', true), '')::uuid`;

/**
 * A per-clinician history mark, so a warm candidate pool knows whether it is current with one
 * primary-key read: `seq` rises with every encounter stored (each encounter keeps the value it was
 * given, `history_seq`, indexed with its clinician), `generation` changes when encounters are
 * deleted (from a sequence, so a mark erased and created again never repeats an old one). Existing
 * encounters are numbered in creation order; the backfill lifts FORCE for its owner only meanwhile.
 * RLS like every clinical table.
 */
export class Migration20261210000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create sequence "context"."user_history_generation_seq"`);
    this.addSql(`create table "context"."user_history" (
      "user_id" uuid primary key,
      "seq" bigint not null default 0,
      "generation" bigint not null default nextval('"context"."user_history_generation_seq"'))`);
    this.addSql(`alter table "context"."encounter" add column "history_seq" bigint null`);
    this.addSql(`alter table "context"."encounter" no force row level security`);
    this.addSql(`update "context"."encounter" e set "history_seq" = r.n
      from (select "id", row_number() over (partition by "user_id" order by "created_at", "id") as n from "context"."encounter") r
      where r."id" = e."id"`);
    this.addSql(`insert into "context"."user_history" ("user_id", "seq")
      select "user_id", max("history_seq") from "context"."encounter" group by "user_id"`);
    this.addSql(`alter table "context"."encounter" force row level security`);
    this.addSql(`alter table "context"."encounter" alter column "history_seq" set not null`);
    this.addSql(`create index "encounter_user_id_history_seq_idx" on "context"."encounter" ("user_id", "history_seq")`);
    const mine = `"user_id" = ${ACTING_USER}`;
    this.addSql(`alter table "context"."user_history" enable row level security`);
    this.addSql(`alter table "context"."user_history" force row level security`);
    this.addSql(`create policy "user_history_acting" on "context"."user_history" using (${mine}) with check (${mine})`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "context"."encounter_user_id_history_seq_idx"`);
    this.addSql(`alter table "context"."encounter" drop column if exists "history_seq"`);
    this.addSql(`drop table if exists "context"."user_history"`);
    this.addSql(`drop sequence if exists "context"."user_history_generation_seq"`);
  }
}
