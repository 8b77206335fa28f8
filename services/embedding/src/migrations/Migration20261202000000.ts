import { Migration } from '@mikro-orm/migrations';

/**
 * Cache entries belong to a user. Entries written before keys were per-user HMACs can be neither
 * reached (no key computes to them any more) nor attributed to anyone for erasure, so they are
 * deleted: this is a cache, and each text is embedded again on its next use.
 */
export class Migration20261202000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('delete from "embedding"."embedding_cache_entry";');
    this.addSql('alter table "embedding"."embedding_cache_entry" add column "user_id" uuid not null;');
    this.addSql('create index "embedding_cache_entry_user_id_index" on "embedding"."embedding_cache_entry" ("user_id");');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "embedding"."embedding_cache_entry_user_id_index";');
    this.addSql('alter table "embedding"."embedding_cache_entry" drop column "user_id";');
  }
}
