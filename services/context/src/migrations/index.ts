import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000 } from './Migration20261125000000.js';
import { Migration20261203000000 } from './Migration20261203000000.js';
import { Migration20261210000000 } from './Migration20261210000000.js';

export const contextMigrations: MigrationObject[] = [
  { name: 'Migration20261125000000', class: Migration20261125000000 },
  { name: 'Migration20261203000000', class: Migration20261203000000 },
  { name: 'Migration20261210000000', class: Migration20261210000000 },
];
