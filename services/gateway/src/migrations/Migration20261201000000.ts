import { Migration } from '@mikro-orm/migrations';

/** Clinicians are identified by their token subject; emails are profile data, not unique (no enumeration). */
export class Migration20261201000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "gateway"."app_user" add column "subject" text`);
    this.addSql(`create unique index "app_user_subject_uq" on "gateway"."app_user" ("subject")`);
    this.addSql(`alter table "gateway"."app_user" alter column "email" drop not null`);
    this.addSql(`alter table "gateway"."app_user" alter column "display_name" drop not null`);
    this.addSql(`drop index if exists "gateway"."app_user_email_uq"`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "gateway"."app_user_subject_uq"`);
    this.addSql(`alter table "gateway"."app_user" drop column "subject"`);
  }
}
