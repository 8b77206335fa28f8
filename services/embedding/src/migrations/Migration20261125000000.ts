import { Migration } from '@mikro-orm/migrations';

/** The persistent embedding cache tier, in the embedding service's own schema. */
export class Migration20261125000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('create schema if not exists "embedding";');
    this.addSql(
      'create table if not exists "embedding"."embedding_cache_entry" (' +
        '"key" text not null, "model" text not null, "dims" int not null, "vector" bytea not null, ' +
        '"hits" bigint not null default 0, ' +
        '"created_at" timestamptz not null default now(), "last_used_at" timestamptz not null default now(), ' +
        'constraint "embedding_cache_entry_pkey" primary key ("key"));',
    );
    // Warm-up reads the most recently used entries first.
    this.addSql(
      'create index if not exists "embedding_cache_entry_last_used_at_index" ' +
        'on "embedding"."embedding_cache_entry" ("last_used_at" desc);',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "embedding"."embedding_cache_entry";');
  }
}
