import { Migration } from '@mikro-orm/migrations';

export class Migration20261125000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "context"."sop" (
      "id" uuid primary key,
      "user_id" uuid not null,
      "name" text not null,
      "version" integer not null,
      "is_active" boolean not null default true,
      "sections" jsonb not null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now())`);
    this.addSql(`create index "sop_user_id_is_active_idx" on "context"."sop" ("user_id", "is_active")`);
    this.addSql(`create table "context"."sop_version" (
      "sop_id" uuid not null references "context"."sop" ("id") on delete cascade,
      "version" integer not null,
      "name" text not null,
      "sections" jsonb not null,
      "created_at" timestamptz not null default now(),
      primary key ("sop_id", "version"))`);
    this.addSql(`create table "context"."encounter" (
      "id" uuid primary key,
      "user_id" uuid not null,
      "source" text not null check ("source" in ('imported', 'extracted')),
      "external_id" text null,
      "idempotency_key" text null,
      "transcript" text not null,
      "note" text not null,
      "results" jsonb not null default '[]',
      "evaluations" jsonb not null default '[]',
      "overall" jsonb null,
      "context" jsonb not null default '[]',
      "context_stop_reason" integer not null default 0,
      "phase_timings" jsonb not null default '[]',
      "trace_id" text not null default '',
      "usage" jsonb not null default '[]',
      "quality_score" double precision not null check ("quality_score" between 0 and 1),
      "concept_ids" jsonb not null default '[]',
      "filled_sections" jsonb not null default '[]',
      "token_count" integer not null default 0,
      "created_at" timestamptz not null default now())`);
    this.addSql(`create index "encounter_user_id_created_at_idx" on "context"."encounter" ("user_id", "created_at" desc, "id" desc)`);
    this.addSql(`create unique index "encounter_user_id_idempotency_key_uq" on "context"."encounter" ("user_id", "idempotency_key") where "idempotency_key" is not null`);
    this.addSql(`create unique index "encounter_user_id_external_id_uq" on "context"."encounter" ("user_id", "external_id") where "external_id" is not null`);
    this.addSql(`create table "context"."encounter_embedding" (
      "encounter_id" uuid primary key references "context"."encounter" ("id") on delete cascade,
      "model" text not null,
      "dimensions" integer not null,
      "vector" bytea not null)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "context"."encounter_embedding"');
    this.addSql('drop table if exists "context"."encounter"');
    this.addSql('drop table if exists "context"."sop_version"');
    this.addSql('drop table if exists "context"."sop"');
  }
}
