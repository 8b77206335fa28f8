import type { EvidenceSpan } from '@clinote/shared/gen/clinote/common/v1/common.js';
import { digitiseNumbers } from './numbers.js';

export type VitalKind = 'blood_pressure' | 'heart_rate' | 'temperature' | 'respiratory_rate' | 'oxygen_saturation';

/** A vital sign as dictated, normalised to digits, with the span of the spoken words. */
export interface VitalSign {
  kind: VitalKind;
  /** "120/80", "72", "98.6". */
  text: string;
  /** The number (systolic for a blood pressure). */
  value: number;
  span: EvidenceSpan;
}

// Longer words before the words they start with ("sixteen", "sixty" before "six"): the first that
// matches is the whole word, so a number never needs to be backed into.
const NUMBER_WORDS =
  'zero|one|two|three|fourteen|four|fifteen|five|sixteen|sixty|six|seventeen|seventy|seven|eighteen|eighty|eight|nineteen|ninety|nine|ten|eleven|twelve|thirteen|twenty|thirty|forty|fifty|hundred|point|oh';
// A number said as digits or words ("one twenty", "ninety eight point six", "seventy-two").
const NUM = `(?:\\d+(?:\\.\\d+)?|(?:${NUMBER_WORDS})(?:[ -](?:${NUMBER_WORDS}))*)`;
const GAP = '[^.?!\\n\\d]{0,50}?';
// The reading after a vital's name: a short gap, then the number (or two, for a blood pressure).
// Sticky, tried once at each name: as one global /name gap number/ the number words after every
// occurrence of the name were rescanned up to 50 times each.
const ONE_READING = new RegExp(`${GAP}\\b(${NUM})\\b`, 'y');
// The systolic number is taken whole (`(?=(…))\\1`) and only where a run of number words starts: giving
// words back or starting later in the run never reaches "over".
const TWO_READINGS = new RegExp(`${GAP}\\b(?<!\\b(?:${NUMBER_WORDS})[ -])(?=(${NUM}))\\1\\s*(?:over|/)\\s*(${NUM})\\b`, 'y');

const PATTERNS: [VitalKind, RegExp, RegExp, [number, number]][] = [
  ['blood_pressure', /\b(?:blood pressure|bp)\b/g, TWO_READINGS, [60, 260]],
  ['heart_rate', /\b(?:heart rate|pulse(?: rate)?)\b/g, ONE_READING, [25, 250]],
  ['temperature', /\b(?:temperature|temp)\b/g, ONE_READING, [90, 108]],
  ['respiratory_rate', /\b(?:respiratory rate|respirations?)\b/g, ONE_READING, [5, 60]],
  ['oxygen_saturation', /\b(?:oxygen saturation|o2 sat(?:uration)?|pulse ox(?:imetry)?|sating|satting)\b/g, ONE_READING, [50, 100]],
];

/**
 * The matches of /name reading/g: each occurrence of the name, in order, with the reading right after
 * it; after a match the search goes on past it, after a miss from the next character.
 */
function* readings(text: string, name: RegExp, reading: RegExp): Generator<{ index: number; said: string; values: string[] }> {
  name.lastIndex = 0;
  for (let n = name.exec(text); n; n = name.exec(text)) {
    reading.lastIndex = n.index + n[0].length;
    const r = reading.exec(text);
    if (r) {
      yield { index: n.index, said: text.slice(n.index, reading.lastIndex), values: r.slice(1) };
      name.lastIndex = reading.lastIndex;
    } else name.lastIndex = n.index + 1;
  }
}

function spokenValue(words: string): number | undefined {
  const digits = digitiseNumbers(words.trim());
  return /^\d+(?:\.\d+)?$/.test(digits) ? Number(digits) : undefined;
}

// A reading told as past or taken elsewhere ("your blood pressure was two hundred over ninety").
const PAST_READING = /\b(?:was|were|at home|used to|last time)\b/;

/**
 * Vital signs dictated in the transcript ("blood pressure is one twenty over eighty", "heart rate of
 * seventy two"), as digits, each with the span from its name to its last spoken number. Per kind, the
 * first plausible reading of the visit wins over one told as past; `patientSaid` leaves out readings
 * the patient reports (a temperature taken at home belongs to the history).
 */
export function dictatedVitals(transcript: string, patientSaid: (offset: number) => boolean = () => false): VitalSign[] {
  const lower = transcript.toLowerCase();
  const out: VitalSign[] = [];
  for (const [kind, name, reading, [min, max]] of PATTERNS) {
    let past: VitalSign | undefined;
    for (const m of readings(lower, name, reading)) {
      if (patientSaid(m.index)) continue;
      const first = spokenValue(m.values[0]!);
      if (first === undefined || first < min || first > max) continue;
      let text = String(first);
      if (kind === 'blood_pressure') {
        const second = spokenValue(m.values[1]!);
        if (second === undefined || second < 30 || second >= first) continue;
        text = `${first}/${second}`;
      }
      const vital = { kind, text, value: first, span: { start: m.index, end: m.index + m.said.length } };
      if (PAST_READING.test(m.said)) {
        past ??= vital;
        continue;
      }
      past = undefined;
      out.push(vital);
      break;
    }
    if (past) out.push(past);
  }
  return out;
}

/** A vital sign or the set of them told without a number, as a note line with its span. */
export interface VitalRemark {
  text: string;
  span: EvidenceSpan;
}

const QUALITATIVE: [VitalKind, string, RegExp][] = [
  ['blood_pressure', 'Blood Pressure', /\b(?:blood pressure|bp)(?:'s| is)\s+(?:(?:a little|a bit|slightly|mildly|quite|very|kind of|still)\s+)?(elevated|high|low)\b/g],
  ['heart_rate', 'Heart Rate', /\b(?:heart rate|pulse)(?:'s| is)\s+(?:(?:also|a little|a bit|slightly|mildly|quite)\s+)*(elevated|high|low)\b/g],
];
// "your vitals look good", "i reviewed your vitals everything here looks good", "your other vital signs look good".
const NORMAL_VITALS =
  /\b(other )?vital(?: sign)?s\b[^.?!\n]{0,40}?\b(?:look(?:s|ed)? (?:really |pretty |very )?(?:good|great|fine|normal|stable)|(?:are|were) (?:all )?(?:normal|good|fine|stable)|within normal limits|everything (?:here )?looks? good)/g;

/**
 * What the clinician says of the vitals without numbers: "Blood Pressure: Elevated." for a kind with
 * no dictated reading, and "Vital signs are within normal limits." (or "Other vital signs ..." when
 * the clinician said "other" after dictating some).
 */
export function vitalRemarks(transcript: string, dictated: VitalSign[]): VitalRemark[] {
  const lower = transcript.toLowerCase();
  const out: VitalRemark[] = [];
  for (const [kind, label, re] of QUALITATIVE) {
    if (dictated.some((v) => v.kind === kind)) continue;
    const m = lower.matchAll(re).next().value;
    if (m) out.push({ text: `${label}: ${m[1] === 'low' ? 'Low' : 'Elevated'}.`, span: { start: m.index, end: m.index + m[0].length } });
  }
  for (const m of lower.matchAll(NORMAL_VITALS)) {
    const other = m[1] !== undefined;
    if (dictated.length > 0 && !other) continue;
    out.push({ text: other || dictated.length > 0 || out.length > 0 ? 'Other vital signs are within normal limits.' : 'Vital signs are within normal limits.', span: { start: m.index, end: m.index + m[0].length } });
    break;
  }
  return out;
}

/** The vital sign a SOP field asks for, from its label and key. */
export function vitalKindOf(fieldText: string): VitalKind | undefined {
  const t = fieldText.toLowerCase();
  if (/blood pressure|\bbp\b/.test(t)) return 'blood_pressure';
  if (/heart rate|pulse|\bhr\b/.test(t)) return 'heart_rate';
  if (/temperature|\btemp\b/.test(t)) return 'temperature';
  if (/respiratory rate|\brr\b/.test(t)) return 'respiratory_rate';
  if (/oxygen|saturation|spo2|\bo2\b/.test(t)) return 'oxygen_saturation';
  return undefined;
}

const VITAL_LINE: Record<VitalKind, [string, string]> = {
  blood_pressure: ['Blood Pressure', ' mmHg'],
  heart_rate: ['Heart Rate', ' beats per minute'],
  temperature: ['Temperature', ' degrees F'],
  respiratory_rate: ['Respiratory Rate', ' breaths per minute'],
  oxygen_saturation: ['Oxygen Saturation', '%'],
};

/** A vitals-section line as ACI-Bench notes write it: "Blood Pressure: 120/80 mmHg." */
export function vitalLine(vital: VitalSign): string {
  const [label, unit] = VITAL_LINE[vital.kind];
  return `${label}: ${vital.text}${unit}.`;
}
