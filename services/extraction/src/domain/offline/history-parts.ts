import { capitalise } from '@clinote/shared/note-style.js';
/**
 * The short sections ACI-Bench notes keep beside the history (medical, surgical, social and family
 * history, medications, allergies, vitals, instructions): which SOP title asks for one, and which
 * transcript statements belong in it (general clinical cue words; every statement is this
 * transcript's own sentence, so nothing comes from another patient).
 */
export type HistoryPart =
  | 'medical_history'
  | 'surgical_history'
  | 'social_history'
  | 'family_history'
  | 'family_and_social_history'
  | 'medications'
  | 'allergies'
  | 'vitals'
  | 'instructions';

const TITLES: [RegExp, HistoryPart][] = [
  [/^(?:past )?medical history$|^past history$|^pmh$|^pastmedicalhx$/, 'medical_history'],
  [/^(?:past )?surgical history$|^psh$|^pastsurgical$/, 'surgical_history'],
  [/^social history$|^sh$/, 'social_history'],
  [/^family history$|^fh$/, 'family_history'],
  [/^family and social history$|^fam sochx$/, 'family_and_social_history'],
  [/^(?:current |home )?medications?$|^meds$/, 'medications'],
  [/^(?:drug )?allerg(?:y|ies)$/, 'allergies'],
  [/^vitals?(?: signs)?(?: reviewed)?$/, 'vitals'],
  [/^(?:patient |discharge )?instructions$/, 'instructions'],
];

/** The history part a SOP section or field title names, if it names one exactly. */
export function historyPartOf(title: string): HistoryPart | undefined {
  const t = title
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
  return TITLES.find(([re]) => re.test(t))?.[1];
}

// What makes a statement part of each history (matched on the note-style statement, lower case).
const CUES: Record<Exclude<HistoryPart, 'vitals' | 'family_and_social_history'>, RegExp> = {
  medical_history: /\b(?:history of|diagnosed with|been diagnosed|medical history|(?:has|had) (?:a |an )?(?:hypertension|diabetes|asthma|copd|cancer|depression|anxiety|heart failure|high blood pressure|high cholesterol|arthritis|hypothyroidism|kidney disease))\b/,
  surgical_history: /\b(?:surgery|surgeries|surgical|operation|operated|\w+ectomy|\w+plasty|replacement|stent|repair(?:ed)?)\b/,
  social_history: /\b(?:smok\w*|cigarettes?|tobacco|vap(?:e|es|ing)|alcohol|drinks? (?:a|alcohol|beer|wine|socially|on)|beers?|wine|marijuana|recreational drugs|works? (?:as|at|in|for|from)|job|retired|married|lives? (?:with|alone|in)|hik(?:e|es|ing)|go(?:es)? running|likes? to run|gym|swim\w*|bik(?:e|es|ing)|golf\w*|play(?:s|ing)? (?:basketball|soccer|tennis|football|baseball|softball|volleyball))\b/,
  family_history: /\b(?:family history|runs in (?:the|his|her|their) family|(?:his|her|their) (?:mother|mom|father|dad|sister|brother|siblings?|grandmother|grandfather|aunt|uncle|parents?) (?:has|had|have|was|were|died|passed))\b/,
  medications: /\b\d+(?:\.\d+)? ?(?:mg|mcg|units?)\b/,
  allergies: /\ballerg(?:y|ies|ic)\b/,
  instructions: /\b(?:follow[- ]?up|come back|see (?:him|her|the patient|them) (?:back )?in|return (?:to|in|if)|call (?:me|the office|us)|schedule)\b/,
};

/** How many statements a part takes at most (reference notes keep these sections short). */
export const PART_LIMIT: Record<HistoryPart, number> = {
  medical_history: 4,
  surgical_history: 2,
  social_history: 3,
  family_history: 3,
  family_and_social_history: 4,
  medications: 6,
  allergies: 2,
  vitals: 5,
  instructions: 2,
};

/** Whether a note statement belongs in a history part (vitals come from dictated vital signs instead). */
export function belongsTo(part: HistoryPart, text: string): boolean {
  const t = text.toLowerCase();
  if (part === 'vitals') return false;
  if (part === 'family_and_social_history') return CUES.family_history.test(t) || CUES.social_history.test(t);
  return CUES[part].test(t);
}

// Words before a dose that are not a drug's name ("taking 25 mg", "about 20 mg").
const NOT_A_DRUG = new Set(
  ('taking takes take took about around like maybe from with some only also just extra strength give given prescribe prescribed ' +
    'dose increase increased decrease start started continue tablets tablet pills pill lower higher than then that this those these ' +
    'them they into each every daily over under another second first same were been being from the and his her their your our ' +
    'was is are have has had of on to at for by or but not now still again total').split(' '),
);
// A new prescription or change belongs to the plan, not to the current medications.
const PLANNED = /\b(?:we will|should|recommend|increase|decrease|start|prescrib\w*|switch|change|refill)\b/;
const FREQUENCY = '(?:\\s+(?:once |twice )?(?:daily|a day|at night|in the morning|every \\d+(?: to \\d+)? hours|\\d+ times daily|as needed))?';
// The name starts where a run of [a-z-] does, or just after its first hyphens: the only starts that can
// match, so a long hyphenated run is not rescanned from each of its words.
const NAME_DOSE = new RegExp(`\\b(?<=^|[^a-z-]|(?:^|[^a-z-])[a-z]*-+)([a-z][a-z-]{3,})\\s+(\\d+(?:\\.\\d+)?) ?(mg|mcg|units?)\\b${FREQUENCY}`, 'g');
const DOSE_OF_NAME = new RegExp(`\\b(\\d+(?:\\.\\d+)?) ?(mg|mcg|units?) of (?:the |his |her )?([a-z][a-z-]{3,})\\b${FREQUENCY}`, 'g');

/**
 * Current medications said with their dose in one note statement ("lisinopril 20 mg daily",
 * "20 mg of lisinopril"), as "Lisinopril 20 mg daily." Plan changes are left to the plan.
 */
export function medicationsWithDose(text: string): string[] {
  const t = text.toLowerCase();
  if (PLANNED.test(t)) return [];
  const out: string[] = [];
  const add = (name: string, dose: string, unit: string, rest: string): void => {
    if (NOT_A_DRUG.has(name)) return;
    out.push(`${capitalise(name)} ${dose} ${unit}${rest.replace(/\ba day\b/, 'daily')}.`);
  };
  for (const m of t.matchAll(NAME_DOSE)) add(m[1]!, m[2]!, m[3]!, m[0].slice(m[0].indexOf(m[3]!) + m[3]!.length));
  for (const m of t.matchAll(DOSE_OF_NAME)) add(m[3]!, m[1]!, m[2]!, m[0].slice(m[0].indexOf(m[3]!) + m[3]!.length));
  return out;
}
