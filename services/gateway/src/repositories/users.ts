// Queries on the gateway's clinicians (schema "gateway").
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { actingAs } from '@clinote/shared/orm.js';
import { UserSchema, type UserEntity } from '../entities/user.js';

export class UserRepository {
  constructor(private readonly em: () => EntityManager) {}

  /**
   * The clinician of a token subject, created on first sight (the subject is unique, concurrent firsts agree).
   * It runs before the call acts for a user id, so it acts for the verified subject: row-level
   * security shows and lets it create only the row of that subject.
   */
  provision(subject: string, beforeCreate: () => Promise<void>): Promise<{ user: UserEntity; created: boolean }> {
    return actingAs({ subject }, () => this.provisionActing(subject, beforeCreate));
  }

  private async provisionActing(subject: string, beforeCreate: () => Promise<void>): Promise<{ user: UserEntity; created: boolean }> {
    const em = this.em();
    const existing = await em.findOne(UserSchema, { subject });
    if (existing) return { user: existing, created: false };
    await beforeCreate();
    const rows = await em.getConnection().execute<{ id: string }[]>(
      `insert into "gateway"."app_user" ("id", "subject", "created_at") values (?, ?, now())
       on conflict ("subject") do nothing returning "id"`,
      [randomUUID(), subject],
    );
    const user = await em.findOneOrFail(UserSchema, { subject });
    return { user, created: rows.length > 0 };
  }

  /**
   * Whether the clinician is there, and whether DeleteUser is erasing them: the authenticator trusts it
   * for USER_STATE_TTL_MS, so an erasure through any gateway replica is seen by all within that bound.
   */
  erasureState(id: string): Promise<'active' | 'erasing' | 'absent'> {
    return actingAs({ userId: id }, async () => {
      const rows = await this.em()
        .getConnection()
        .execute<{ erasing: boolean }[]>(`select "erasing_since" is not null as "erasing" from "gateway"."app_user" where "id" = ?`, [id]);
      const row = rows[0];
      return !row ? 'absent' : row.erasing ? 'erasing' : 'active';
    });
  }

  /** The erasure saga's first step; a clinician already marked keeps the first time, an absent one is no error. */
  markErasing(id: string): Promise<void> {
    return actingAs({ userId: id }, async () => {
      await this.em()
        .getConnection()
        .execute(`update "gateway"."app_user" set "erasing_since" = coalesce("erasing_since", now()) where "id" = ?`, [id], 'run');
    });
  }

  /** The erasure saga's last step; false when the row was already gone. Acts for that clinician, whoever asked. */
  deleteUser(id: string): Promise<boolean> {
    return actingAs({ userId: id }, async () => {
      const deleted = await this.em()
        .getConnection()
        .execute<{ affectedRows: number }>(`delete from "gateway"."app_user" where "id" = ?`, [id], 'run');
      return deleted.affectedRows > 0;
    });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.em().findOne(UserSchema, { id });
  }

  async updateProfile(id: string, profile: { email: string; displayName: string }): Promise<UserEntity | null> {
    const em = this.em();
    const user = await em.findOne(UserSchema, { id });
    if (!user) return null;
    user.email = profile.email;
    user.displayName = profile.displayName;
    await em.flush();
    return user;
  }
}
