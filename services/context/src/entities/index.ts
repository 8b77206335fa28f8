import { EncounterEmbeddingSchema, EncounterSchema } from './encounter.js';
import { SopSchema, SopVersionSchema } from './sop.js';

export * from './encounter.js';
export * from './sop.js';

export const contextEntities = [SopSchema, SopVersionSchema, EncounterSchema, EncounterEmbeddingSchema];
