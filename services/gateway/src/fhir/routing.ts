// Which extracted values become which FHIR resources: a table over the SOP's section and field keys,
// so a new SOP field is routed by adding a row, not by another regex.

export type ResourceKind = 'condition' | 'medication' | 'allergy' | 'vitals';

/** Field (or, for one-field sections, section) keys and the resource their values become. */
const ROUTES: ReadonlyArray<{ keys: readonly string[]; kind: ResourceKind }> = [
  { keys: ['assessment', 'medical_history', 'problems', 'diagnoses'], kind: 'condition' },
  { keys: ['medications', 'current_medications'], kind: 'medication' },
  { keys: ['allergies'], kind: 'allergy' },
  { keys: ['vitals', 'vital_signs', 'blood_pressure', 'heart_rate', 'respiratory_rate', 'temperature', 'oxygen_saturation', 'weight'], kind: 'vitals' },
];

/**
 * The resource kind of one field's values, or none (they stay in the section's narrative only). A
 * field named `text` (the one field of a note section) is routed by its section's key.
 */
export function routeOf(sectionKey: string, fieldKey: string): ResourceKind | undefined {
  const key = fieldKey === 'text' ? sectionKey : fieldKey;
  return ROUTES.find((r) => r.keys.includes(key))?.kind;
}
