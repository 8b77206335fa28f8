import { Migration20261125000000 } from './Migration20261125000000.js';
import { Migration20261202000000 } from './Migration20261202000000.js';
import { Migration20261203000000 } from './Migration20261203000000.js';

/** Every migration of the embedding service, in order, for `migrations: { migrationsList }`. */
export const embeddingMigrations = [
  { name: 'Migration20261125000000', class: Migration20261125000000 },
  { name: 'Migration20261202000000', class: Migration20261202000000 },
  { name: 'Migration20261203000000', class: Migration20261203000000 },
];
