// Vital signs read from an extracted value's text ("BP 120/80, heart rate 72, temp 98.6"), each
// with its LOINC code and UCUM unit. Only what parses becomes a measurement; the text stays in the
// narrative either way.

export interface Quantity {
  value: number;
  /** UCUM code, also shown as the unit. */
  unit: string;
}

export interface VitalSign {
  loinc: string;
  display: string;
  /** One value, or (blood pressure) systolic and diastolic components. */
  value?: Quantity;
  components?: Array<{ loinc: string; display: string; value: Quantity }>;
}

interface Rule {
  loinc: string;
  display: string;
  pattern: RegExp;
  unit: (n: number, unitWord: string) => string;
}

// Patterns are linear (bounded gaps, no nested quantifiers); the ReDoS check runs over src/.
const RULES: Rule[] = [
  { loinc: '8867-4', display: 'Heart rate', pattern: /\b(?:heart rate|pulse|hr)\b[^0-9\n]{0,20}(\d{1,3}(?:\.\d{1,2})?)/i, unit: () => '/min' },
  { loinc: '9279-1', display: 'Respiratory rate', pattern: /\b(?:respiratory rate|respirations|rr)\b[^0-9\n]{0,20}(\d{1,3}(?:\.\d{1,2})?)/i, unit: () => '/min' },
  {
    loinc: '8310-5',
    display: 'Body temperature',
    pattern: /\b(?:temperature|temp)\b[^0-9\n]{0,20}(\d{1,3}(?:\.\d{1,2})?)\s{0,2}(°?\s?[cf]\b|celsius|fahrenheit)?/i,
    unit: (n, word) => (/c/i.test(word) || (!word && n < 50) ? 'Cel' : '[degF]'),
  },
  {
    loinc: '59408-5',
    display: 'Oxygen saturation in Arterial blood by Pulse oximetry',
    pattern: /\b(?:o2 sat\w{0,10}|oxygen saturation|spo2|sats?|pulse ox\w{0,10})\b[^0-9\n]{0,20}(\d{1,3}(?:\.\d{1,2})?)/i,
    unit: () => '%',
  },
  {
    loinc: '29463-7',
    display: 'Body weight',
    pattern: /\b(?:weight|weighs)\b[^0-9\n]{0,20}(\d{1,3}(?:\.\d{1,2})?)\s{0,2}(kg|kilograms?|lbs?|pounds?)?/i,
    unit: (_n, word) => (/^k/i.test(word) ? 'kg' : '[lb_av]'),
  },
];

const BLOOD_PRESSURE = /\b(?:blood pressure|bp)\b[^0-9\n]{0,20}(\d{2,3})\s{0,2}(?:\/|over)\s{0,2}(\d{2,3})/i;

/** The vital signs stated in one text, each at most once (the first mention). */
export function parseVitals(text: string): VitalSign[] {
  const vitals: VitalSign[] = [];
  const bp = BLOOD_PRESSURE.exec(text);
  if (bp) {
    vitals.push({
      loinc: '85354-9',
      display: 'Blood pressure panel with all children optional',
      components: [
        { loinc: '8480-6', display: 'Systolic blood pressure', value: { value: Number(bp[1]), unit: 'mm[Hg]' } },
        { loinc: '8462-4', display: 'Diastolic blood pressure', value: { value: Number(bp[2]), unit: 'mm[Hg]' } },
      ],
    });
  }
  for (const rule of RULES) {
    const m = rule.pattern.exec(text);
    if (!m) continue;
    const n = Number(m[1]);
    vitals.push({ loinc: rule.loinc, display: rule.display, value: { value: n, unit: rule.unit(n, (m[2] ?? '').trim()) } });
  }
  return vitals;
}
