import { describe, expect, it } from 'vitest';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { compileSop } from '@clinote/extraction/domain/sop-schema.js';
import { cpuMsBetween, parseProcStatTicks, quantile, replaceSection, spread } from '../bench-load.js';
import { answerForSchema, quoteOfTranscript, vectorFor } from './instant-llm.js';

describe('instant LLM answers', () => {
  const transcript = '[doctor] hi\n[patient] my knee has been hurting for three weeks now\n[doctor] okay';
  const messages = [{ role: 'system', content: 'rules' }, { role: 'user', content: `examples\n<transcript>\n${transcript}\n</transcript>\nfill it` }];

  it('quotes the transcript verbatim, speaker tag cut', () => {
    const quote = quoteOfTranscript(messages);
    expect(quote).toBe('my knee has been hurting for three weeks');
    expect(transcript).toContain(quote);
  });

  it('answers what the SOP schema validates', () => {
    const compiled = compileSop({ id: 'bench', name: 'SOAP', version: 1, sections: SOAP_NOTE_SECTIONS } as never);
    const checked = compiled.validate(answerForSchema(compiled.jsonSchema, quoteOfTranscript(messages)));
    expect(checked).toMatchObject({ ok: true });
  });

  it('embeds deterministically as unit vectors of the size asked', () => {
    const v = vectorFor('knee pain', 64);
    expect(v).toHaveLength(64);
    expect(Array.from(vectorFor('knee pain', 64))).toEqual(Array.from(v));
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
  });
});

describe('load bench helpers', () => {
  it('reads utime + stime past a process name holding spaces and parentheses', () => {
    const stat = '123 (node (a) b) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1';
    expect(parseProcStatTicks(stat)).toBe(300);
  });

  it('sums CPU per group, a new pid counting from zero', () => {
    const before = new Map([['pg', new Map([[1, 100]])]]);
    const after = new Map([['pg', new Map([[1, 150], [2, 10]])]]);
    expect(cpuMsBetween(before, after).get('pg')).toBe(600);
  });

  it('quantiles and spread', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(3);
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
  });

  it('replaces only its own section', () => {
    const doc = '# Benchmarks\n\n## Other\n\nkeep\n\n## Load (pnpm bench load)\n\nold\n\n## After\n\nkeep too\n';
    const out = replaceSection(doc, '## Load (pnpm bench load)', 'new');
    expect(out).toBe('# Benchmarks\n\n## Other\n\nkeep\n\n## Load (pnpm bench load)\n\nnew\n\n## After\n\nkeep too\n');
    expect(replaceSection('# Benchmarks\n', '## X', 'body')).toBe('# Benchmarks\n\n## X\n\nbody\n');
  });
});
