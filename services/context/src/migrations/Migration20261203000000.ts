import { Migration } from '@mikro-orm/migrations';

const ACTING_USER = `nullif(current_setting('app.user_id', true), '')::uuid`;

/**
 * Row-level security as the backstop behind the handlers' own checks: SOPs, their versions,
 * encounters and their embeddings are visible only to a transaction acting for their clinician
 * (app.user_id, set by the ORM from the call's principal); versions and embeddings through the row
 * they belong to. An unset or empty setting matches no row and raises no error. FORCE: the owning
 * migrator is held to it too. Admin work on another clinician (erasure, audit) acts for that
 * clinician in its transaction; no role bypasses this.
 */
export class Migration20261203000000 extends Migration {
  override async up(): Promise<void> {
    const policies: [table: string, mine: string][] = [
      ['sop', `"user_id" = ${ACTING_USER}`],
      ['sop_version', `exists (select 1 from "context"."sop" s where s."id" = "sop_id" and s."user_id" = ${ACTING_USER})`],
      ['encounter', `"user_id" = ${ACTING_USER}`],
      [
        'encounter_embedding',
        `exists (select 1 from "context"."encounter" e where e."id" = "encounter_id" and e."user_id" = ${ACTING_USER})`,
      ],
    ];
    for (const [table, mine] of policies) {
      this.addSql(`alter table "context"."${table}" enable row level security`);
      this.addSql(`alter table "context"."${table}" force row level security`);
      this.addSql(`create policy "${table}_acting" on "context"."${table}" using (${mine}) with check (${mine})`);
    }
  }

  override async down(): Promise<void> {
    for (const table of ['encounter_embedding', 'encounter', 'sop_version', 'sop']) {
      this.addSql(`drop policy if exists "${table}_acting" on "context"."${table}"`);
      this.addSql(`alter table "context"."${table}" no force row level security`);
      this.addSql(`alter table "context"."${table}" disable row level security`);
    }
  }
}
