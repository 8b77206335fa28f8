import { describe, expect, it } from 'vitest';
import type { AuditEventRecord } from '../repositories/audit-events.js';
import { GroupCommitAudit, type AuditRowWriter } from './group-commit.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const record = (subject: string, rpc = 'Extract'): AuditEventRecord => ({
  actorUserId: subject,
  subjectUserId: subject,
  rpc,
  resourceType: 'extraction',
  resourceId: null,
  outcome: 'OK',
  traceId: '',
});

/** A writer whose inserts finish when the test says so. */
function gatedWriter() {
  const inserts: { subject: string; rpcs: string[]; finish: (err?: Error) => void }[] = [];
  const writer: AuditRowWriter = {
    appendAll: (subject, events) =>
      new Promise<void>((resolve, reject) => {
        inserts.push({ subject, rpcs: events.map((e) => e.rpc), finish: (err) => (err ? reject(err) : resolve()) });
      }),
  };
  return { writer, inserts };
}

describe('GroupCommitAudit', () => {
  it('writes a lone record at once, and the records queued behind an insert in one insert after it', async () => {
    const { writer, inserts } = gatedWriter();
    const audit = new GroupCommitAudit(writer);
    const first = audit.append(record(A, 'one'));
    expect(inserts.map((i) => i.rpcs)).toEqual([['one']]);
    const queued = [audit.append(record(A, 'two')), audit.append(record(A, 'three'))];
    let settled = false;
    void Promise.all(queued).then(() => (settled = true));
    inserts[0]!.finish();
    await first;
    await Promise.resolve();
    expect(inserts.map((i) => i.rpcs)).toEqual([['one'], ['two', 'three']]);
    expect(settled).toBe(false); // answered only once their own insert committed
    inserts[1]!.finish();
    await Promise.all(queued);
  });

  it('keeps clinicians apart (one identity per statement) and fails only the batch whose insert failed', async () => {
    const { writer, inserts } = gatedWriter();
    const audit = new GroupCommitAudit(writer);
    const a1 = audit.append(record(A, 'a1'));
    const b1 = audit.append(record(B, 'b1'));
    expect(inserts.map((i) => [i.subject, i.rpcs])).toEqual([
      [A, ['a1']],
      [B, ['b1']],
    ]);
    const a2 = audit.append(record(A, 'a2'));
    inserts[0]!.finish(new Error('database down'));
    await expect(a1).rejects.toThrow('database down');
    await Promise.resolve();
    expect(inserts[2]).toMatchObject({ subject: A, rpcs: ['a2'] });
    inserts[2]!.finish();
    inserts[1]!.finish();
    await expect(Promise.all([a2, b1])).resolves.toBeDefined();
  });

  it('bounds the records per insert', async () => {
    const { writer, inserts } = gatedWriter();
    const audit = new GroupCommitAudit(writer, 2);
    const all = [audit.append(record(A, '1')), audit.append(record(A, '2')), audit.append(record(A, '3')), audit.append(record(A, '4'))];
    inserts[0]!.finish();
    await all[0];
    await Promise.resolve();
    expect(inserts.map((i) => i.rpcs)).toEqual([['1'], ['2', '3']]);
    inserts[1]!.finish();
    await all[2];
    await Promise.resolve();
    expect(inserts.map((i) => i.rpcs)).toEqual([['1'], ['2', '3'], ['4']]);
    inserts[2]!.finish();
    await Promise.all(all);
  });
});
