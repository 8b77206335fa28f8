import { EntitySchema } from '@mikro-orm/core';

export interface UserEntity {
  id: string;
  email: string;
  displayName: string;
  createdAt: Date;
}

export const UserSchema = new EntitySchema<UserEntity>({
  name: 'UserEntity',
  tableName: 'app_user',
  properties: {
    id: { type: 'uuid', primary: true },
    email: { type: 'text', unique: true },
    displayName: { type: 'text', fieldName: 'display_name' },
    createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
  },
});

export const gatewayEntities = [UserSchema];
