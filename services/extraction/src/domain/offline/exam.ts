// Body systems of a dictated exam finding, in ACI-Bench training-note naming (general clinical
// knowledge for the trigger words). The first system whose words the finding holds labels it.
const EXAM_SYSTEMS: [string, RegExp][] = [
  ['Neck', /\b(neck|jugular|thyroid|lymphadenopathy|carotid)\b/i],
  ['Respiratory', /\b(lungs?|breath sounds|wheez\w*|crackles|rales|rhonchi|auscultation)\b/i],
  ['Cardiovascular', /\b(heart|murmurs?|rate and rhythm|gallops?|rubs?|pulses?|edema)\b/i],
  ['Gastrointestinal', /\b(abdomen|abdominal|bowel sounds|quadrant|hepatosplenomegaly)\b/i],
  ['Neurological', /\b(neuro\w*|sensation|reflexes|strength|cranial nerves|gait)\b/i],
  ['Musculoskeletal', /\b(knee|shoulder|hip|back|spine|wrist|ankle|elbow|range of motion|tenderness|joint|effusion|swelling)\b/i],
  ['Skin', /\b(skin|rash|lesions?|incision|wound|erythema)\b/i],
];

/** "• Cardiovascular: <finding>" for a dictated finding that names a body system; other text as is. */
export function labelExamFinding(text: string): string {
  if (/^[•\-*]|^[A-Z][A-Za-z ,/]{2,40}:/.test(text)) return text;
  const system = EXAM_SYSTEMS.find(([, re]) => re.test(text))?.[0];
  return system ? `• ${system}: ${text}` : text;
}
