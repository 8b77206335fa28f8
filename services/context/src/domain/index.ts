// Context selection's pure domain API (see selection.ts for the scoring and stopping rules).
export * from './candidate-pool.js';
export * from '@clinote/shared/clinical-lexicon/concepts.js';
export * from './sections.js';
export * from './selection.js';
export * from './tokens.js';
