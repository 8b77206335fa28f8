import { Migration } from '@mikro-orm/migrations';

const ACTING_USER = `nullif(current_setting('app.user_id', true), '')::uuid`;
const ACTING_SUBJECT = `nullif(current_setting('app.subject', true), '')`;

/**
 * Row-level security as the backstop behind the handlers' own checks: a clinician's row is visible
 * only to a transaction acting for them (app.user_id, set by the ORM from the call's principal), or,
 * while the gateway authenticates a token and does not know the id yet, acting for their token
 * subject (app.subject: the provisioning lookup and first insert). Unset or empty settings match no
 * row and raise no error. FORCE: the owning migrator is held to it too. Admin work on another
 * clinician (erasure, audit) acts for that clinician in its transaction; no role bypasses this.
 */
export class Migration20261203000000 extends Migration {
  override async up(): Promise<void> {
    const mine = `"id" = ${ACTING_USER} or "subject" = ${ACTING_SUBJECT}`;
    this.addSql(`alter table "gateway"."app_user" enable row level security`);
    this.addSql(`alter table "gateway"."app_user" force row level security`);
    this.addSql(`create policy "app_user_acting" on "gateway"."app_user" using (${mine}) with check (${mine})`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop policy if exists "app_user_acting" on "gateway"."app_user"`);
    this.addSql(`alter table "gateway"."app_user" no force row level security`);
    this.addSql(`alter table "gateway"."app_user" disable row level security`);
  }
}
