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
