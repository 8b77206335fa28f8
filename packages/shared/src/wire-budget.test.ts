import { describe, expect, it } from 'vitest';
import { SOAP_NOTE_SECTIONS } from './fixtures/sops.js';
import { CreateSopRequest, ImportEncountersRequest } from './gen/clinote/gateway/v1/gateway.js';
import { exceedsFieldBudget, MAX_WIRE_FIELDS } from './wire-budget.js';

/** `count` copies of `element` after `prefix`. */
function repeated(element: number[], count: number, prefix: number[] = []): Uint8Array {
  const out = new Uint8Array(prefix.length + element.length * count);
  out.set(prefix);
  for (let i = 0; i < count; i++) out.set(element, prefix.length + i * element.length);
  return out;
}

describe('exceedsFieldBudget', () => {
  it('lets the largest real requests through', () => {
    const sections = Array.from({ length: 50 }, (_, i) => ({
      ...SOAP_NOTE_SECTIONS[0]!,
      key: `s${i}`,
      fields: Array.from({ length: 100 }, (_, j) => ({ ...SOAP_NOTE_SECTIONS[0]!.fields[0]!, key: `f${j}`, enumValues: ['a', 'b'] })),
    }));
    expect(exceedsFieldBudget(CreateSopRequest.encode({ userId: '', name: 'SOP', sections }).finish())).toBe(false);
    const encounters = Array.from({ length: 500 }, (_, i) => ({ transcript: 'Doctor: any fever?\nPatient: no. '.repeat(200), note: 'Plan: rest.', qualityScore: 0.5, externalId: `e${i}` }));
    expect(exceedsFieldBudget(ImportEncountersRequest.encode({ userId: '', encounters }).finish())).toBe(false);
  });

  it('counts fields at every depth: repeated empty messages, a section of empty fields', () => {
    const n = MAX_WIRE_FIELDS + 1;
    // sections (3) of CreateSopRequest, each empty.
    expect(exceedsFieldBudget(repeated([0x1a, 0x00], n))).toBe(true);
    expect(exceedsFieldBudget(repeated([0x1a, 0x00], n - 1))).toBe(false);
    // One section whose fields (4) are n empty messages: the section's length as a varint.
    const inner = n * 2;
    const length = [(inner & 0x7f) | 0x80, ((inner >> 7) & 0x7f) | 0x80, inner >> 14];
    expect(exceedsFieldBudget(repeated([0x22, 0x00], n, [0x1a, ...length]))).toBe(true);
    // Trailing garbage does not hide the fields before it.
    const withGarbage = new Uint8Array([...repeated([0x1a, 0x00], n), 0xff]);
    expect(exceedsFieldBudget(withGarbage)).toBe(true);
  });

  it('scans 16 MB of fields, and stops at bytes that are not fields', () => {
    expect(exceedsFieldBudget(repeated([0x1a, 0x00], 8 * 1024 * 1024))).toBe(true);
    expect(exceedsFieldBudget(new Uint8Array(16 * 1024 * 1024))).toBe(false);
  });
});
