import { describe, expect, expectTypeOf, it } from 'vitest';
import { NotFoundError, PermissionDeniedError } from '@clinote/shared/errors.js';
import type { CallContext } from '@clinote/shared/grpc-server.js';
import { createLogger } from '@clinote/shared/logger.js';
import type { AuditEventRecord } from '../repositories/audit-events.js';
import { AUDITED_RPCS, type RequestOf, type ResponseOf } from './audited-rpcs.js';
import { audited } from './audit-trail.js';

const CALLER = '11111111-2222-4333-8444-555555555555';
const OTHER = '66666666-7777-4888-9999-aaaaaaaaaaaa';
const EXTRACTION = '0f0e0d0c-0b0a-4909-8807-060504030201';

function harness(appendFails = false) {
  const records: AuditEventRecord[] = [];
  const deps = {
    audit: {
      async append(record: AuditEventRecord) {
        if (appendFails) throw new Error('database down');
        records.push(record);
      },
    },
  };
  const ctx = {
    principal: { userId: CALLER, admin: false },
    logger: createLogger('test', 'silent'),
    deadline: undefined,
    signal: new AbortController().signal,
  } as CallContext;
  return { records, deps, ctx };
}

describe('audited', () => {
  it('records a successful read with its resource id and outcome OK, and returns the answer', async () => {
    const { records, deps, ctx } = harness();
    const handler = audited('GetExtraction', AUDITED_RPCS.getExtraction, async () => ({ extraction: undefined }));
    expect(await handler(deps, { userId: '', extractionId: EXTRACTION }, ctx)).toEqual({ extraction: undefined });
    expect(records).toEqual([
      {
        actorUserId: CALLER,
        subjectUserId: CALLER,
        rpc: 'GetExtraction',
        resourceType: 'extraction',
        resourceId: EXTRACTION,
        outcome: 'OK',
        traceId: '',
      },
    ]);
  });

  it("records a refusal with the status name, and whose data was asked for, then rethrows it", async () => {
    const { records, deps, ctx } = harness();
    const refused = audited('GetUser', AUDITED_RPCS.getUser, async () => {
      throw new PermissionDeniedError('no');
    });
    await expect(refused(deps, { userId: OTHER.toUpperCase() }, ctx)).rejects.toBeInstanceOf(PermissionDeniedError);
    const missing = audited('GetExtraction', AUDITED_RPCS.getExtraction, async () => {
      throw new NotFoundError('encounter', EXTRACTION);
    });
    await expect(missing(deps, { userId: '', extractionId: EXTRACTION }, ctx)).rejects.toBeInstanceOf(NotFoundError);
    expect(records.map((r) => [r.rpc, r.subjectUserId, r.resourceId, r.outcome])).toEqual([
      ['GetUser', OTHER, OTHER, 'PERMISSION_DENIED'],
      ['GetExtraction', CALLER, EXTRACTION, 'NOT_FOUND'],
    ]);
  });

  it('takes ids of created resources from the response, and never records what is not a UUID', async () => {
    const { records, deps, ctx } = harness();
    const created = audited('CreateSop', AUDITED_RPCS.createSop, async () => ({ sop: { id: EXTRACTION } as ResponseOf<'createSop'>['sop'] }));
    await created(deps, { userId: '', name: 'SOAP', sections: [] }, ctx);
    const hostile = audited('GetExtraction', AUDITED_RPCS.getExtraction, async () => ({ extraction: undefined }));
    await hostile(deps, { userId: 'patient reports chest pain', extractionId: 'the patient has HIV' }, ctx);
    expect(records.map((r) => [r.subjectUserId, r.resourceId])).toEqual([
      [CALLER, EXTRACTION],
      [CALLER, null],
    ]);
    expect(JSON.stringify(records)).not.toMatch(/chest|HIV/);
  });

  it('fails closed: an unwritten record turns the answer into UNAVAILABLE', async () => {
    const { deps, ctx } = harness(true);
    const handler = audited('ListSops', AUDITED_RPCS.listSops, async () => ({ sops: [] }));
    await expect(handler(deps, { userId: '', includeInactive: false }, ctx)).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('is typed over the generated service', () => {
    expectTypeOf<RequestOf<'getExtraction'>>().toHaveProperty('extractionId');
    expectTypeOf<ResponseOf<'createSop'>>().toHaveProperty('sop');
    expect(Object.keys(AUDITED_RPCS)).toContain('listAuditEvents');
  });
});
