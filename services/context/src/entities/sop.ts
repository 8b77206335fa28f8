import { EntitySchema } from '@mikro-orm/core';
import type { SopSection } from '@clinote/shared/gen/clinote/common/v1/common.js';

export interface SopEntity {
  id: string;
  userId: string;
  name: string;
  version: number;
  isActive: boolean;
  sections: SopSection[];
  createdAt: Date;
  updatedAt: Date;
}

/** Every version of every SOP, kept so an extraction can always say which one it used. */
export interface SopVersionEntity {
  sopId: string;
  version: number;
  name: string;
  sections: SopSection[];
  createdAt: Date;
}

export const SopSchema = new EntitySchema<SopEntity>({
  name: 'SopEntity',
  tableName: 'sop',
  indexes: [{ name: 'sop_user_id_is_active_idx', properties: ['userId', 'isActive'] }],
  properties: {
    id: { type: 'uuid', primary: true },
    userId: { type: 'uuid', fieldName: 'user_id' },
    name: { type: 'text' },
    version: { type: 'integer' },
    isActive: { type: 'boolean', fieldName: 'is_active' },
    sections: { type: 'json' },
    createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
    updatedAt: { type: 'Date', fieldName: 'updated_at', columnType: 'timestamptz' },
  },
});

export const SopVersionSchema = new EntitySchema<SopVersionEntity>({
  name: 'SopVersionEntity',
  tableName: 'sop_version',
  properties: {
    sopId: { type: 'uuid', primary: true, fieldName: 'sop_id' },
    version: { type: 'integer', primary: true },
    name: { type: 'text' },
    sections: { type: 'json' },
    createdAt: { type: 'Date', fieldName: 'created_at', columnType: 'timestamptz' },
  },
});
