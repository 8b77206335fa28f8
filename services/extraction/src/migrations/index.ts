import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000 } from './Migration20261125000000.js';
import { Migration20261203000000 } from './Migration20261203000000.js';
import { Migration20261204000000 } from './Migration20261204000000.js';

export const extractionMigrations: MigrationObject[] = [
  { name: 'Migration20261125000000', class: Migration20261125000000 },
  { name: 'Migration20261203000000', class: Migration20261203000000 },
  { name: 'Migration20261204000000', class: Migration20261204000000 },
];
