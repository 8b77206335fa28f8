import { Migration } from '@mikro-orm/migrations';

/**
 * A clinician being erased (DeleteUser's first step): while set, the gateway refuses their calls
 * except DeleteUser, and the row itself is deleted as the saga's last step.
 */
export class Migration20261204000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "gateway"."app_user" add column "erasing_since" timestamptz null`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "gateway"."app_user" drop column "erasing_since"`);
  }
}
