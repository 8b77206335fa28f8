import { Migration } from '@mikro-orm/migrations';

export class Migration20261125000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "gateway"."app_user" (
      "id" uuid primary key,
      "email" text not null,
      "display_name" text not null,
      "created_at" timestamptz not null default now())`);
    this.addSql(`create unique index "app_user_email_uq" on "gateway"."app_user" (lower("email"))`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "gateway"."app_user"');
  }
}
