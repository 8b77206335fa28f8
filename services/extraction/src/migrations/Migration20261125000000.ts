import { Migration } from '@mikro-orm/migrations';

export class Migration20261125000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "extraction"."llm_usage" (
      "id" uuid primary key,
      "user_id" uuid not null,
      "sop_id" uuid not null,
      "model" text not null,
      "prompt_tokens" integer not null,
      "completion_tokens" integer not null,
      "cost_usd" double precision not null,
      "created_at" timestamptz not null default now())`);
    this.addSql(`create index "llm_usage_user_id_created_at_idx" on "extraction"."llm_usage" ("user_id", "created_at")`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "extraction"."llm_usage"');
  }
}
