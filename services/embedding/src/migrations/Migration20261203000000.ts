import { Migration } from '@mikro-orm/migrations';

const ACTING_USER = `nullif(current_setting('app.user_id', true), '')::uuid`;

/**
 * Row-level security as the backstop behind the store's own `where user_id = ?`: a clinician's cache
 * entries (vectors of their transcripts) are visible only to a transaction acting for them
 * (app.user_id, set by the ORM; the store acts for the user each statement names, since lookups of
 * several callers are batched). An unset or empty setting matches no row and raises no error, so
 * the cross-user start-up warm-up finds nothing under the service role. FORCE: the owning migrator
 * is held to it too. Erasure acts for the erased clinician; no role bypasses this.
 */
export class Migration20261203000000 extends Migration {
  override async up(): Promise<void> {
    const mine = `"user_id" = ${ACTING_USER}`;
    this.addSql(`alter table "embedding"."embedding_cache_entry" enable row level security`);
    this.addSql(`alter table "embedding"."embedding_cache_entry" force row level security`);
    this.addSql(`create policy "embedding_cache_entry_acting" on "embedding"."embedding_cache_entry" using (${mine}) with check (${mine})`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop policy if exists "embedding_cache_entry_acting" on "embedding"."embedding_cache_entry"`);
    this.addSql(`alter table "embedding"."embedding_cache_entry" no force row level security`);
    this.addSql(`alter table "embedding"."embedding_cache_entry" disable row level security`);
  }
}
