import { Migration } from '@mikro-orm/migrations';

const ACTING_USER = `nullif(current_setting('app.user_id', true), '')::uuid`;

/**
 * Row-level security as the backstop behind the handlers' own checks: a clinician's LLM usage is
 * visible only to a transaction acting for them (app.user_id, set by the ORM from the call's
 * principal). An unset or empty setting matches no row and raises no error. FORCE: the owning
 * migrator is held to it too. Admin work on another clinician (erasure, usage audit) acts for that
 * clinician in its transaction; no role bypasses this.
 */
export class Migration20261203000000 extends Migration {
  override async up(): Promise<void> {
    const mine = `"user_id" = ${ACTING_USER}`;
    this.addSql(`alter table "extraction"."llm_usage" enable row level security`);
    this.addSql(`alter table "extraction"."llm_usage" force row level security`);
    this.addSql(`create policy "llm_usage_acting" on "extraction"."llm_usage" using (${mine}) with check (${mine})`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop policy if exists "llm_usage_acting" on "extraction"."llm_usage"`);
    this.addSql(`alter table "extraction"."llm_usage" no force row level security`);
    this.addSql(`alter table "extraction"."llm_usage" disable row level security`);
  }
}
