import { EntitySchema } from '@mikro-orm/core';

export interface UserEntity {
  id: string;
  /** The identity provider's subject (`sub`): who the clinician is. */
  subject: string | null;
  email: string | null;
  displayName: string | null;
  createdAt: Date;
  /** Set while DeleteUser erases the clinician: their other calls are refused. */
  erasingSince: Date | null;
}

export const UserSchema = new EntitySchema<UserEntity>({
  name: 'UserEntity',
  tableName: 'app_user',
  properties: {
    id: { type: 'uuid', primary: true },
    subject: { type: 'text', nullable: true, unique: true },
    email: { type: 'text', nullable: true },
    displayName: { type: 'text', fieldName: 'display_name', nullable: true },
    createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
    erasingSince: { type: 'Date', fieldName: 'erasing_since', columnType: 'timestamptz', nullable: true },
  },
});

export const gatewayEntities = [UserSchema];
