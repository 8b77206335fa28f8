// Every way a handler reaches the database acts for the caller, and nothing of it outlives the call on
// a pooled connection: a table under the same kind of policy as the services', a runtime role under it.
import { randomUUID } from 'node:crypto';
import { EntitySchema, RequestContext } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDatabaseRoles, type DatabaseRoles } from './db-roles.js';
import { actingAs, actingFor, createOrm, currentActingIdentity, databaseReachable, type Orm } from './orm.js';
import { createScratchDatabase } from './scratch-database.js';
import type { Logger } from './logger.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = 'context';

interface Note {
  id: string;
  userId: string;
  body: string;
}
const NoteSchema = new EntitySchema<Note>({
  name: 'Note',
  tableName: 'note',
  properties: { id: { type: 'uuid', primary: true }, userId: { type: 'uuid', fieldName: 'user_id' }, body: { type: 'text' } },
});

class CreateNotes extends Migration {
  override async up(): Promise<void> {
    const mine = `"user_id" = nullif(current_setting('app.user_id', true), '')::uuid`;
    this.addSql(`create table "${SCHEMA}"."note" ("id" uuid primary key, "user_id" uuid not null, "body" text not null)`);
    this.addSql(`alter table "${SCHEMA}"."note" enable row level security`);
    this.addSql(`alter table "${SCHEMA}"."note" force row level security`);
    this.addSql(`create policy "note_acting" on "${SCHEMA}"."note" using (${mine}) with check (${mine})`);
  }
}

const A = randomUUID();
const B = randomUUID();
let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let roles: DatabaseRoles;
let orm: Orm;
/** Room for a transaction and queries beside it. */
let wide: Orm;

function settings(url: string, migrationUrl?: string, poolMax = 1) {
  // One connection: whatever a call left on it, the next call would meet.
  return { url, migrationUrl, poolMin: 0, poolMax, idleMs: 10_000, maxLifetimeSeconds: 3600, statementTimeoutMs: 5_000, acquireTimeoutMs: 5_000 };
}

function open(url: string, migrationUrl?: string, logger?: Logger, poolMax = 1): Promise<Orm> {
  return createOrm({
    schema: SCHEMA,
    database: settings(url, migrationUrl, poolMax),
    entities: [NoteSchema],
    migrations: [{ name: 'CreateNotes', class: CreateNotes }],
    logger,
  });
}

const bodies = (notes: { body: string }[]) => notes.map((n) => n.body).sort();

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_URL, 'clinote_test_orm');
  roles = await provisionDatabaseRoles(db.url);
  orm = await open(roles.runtimeUrls.context, roles.migrationUrl);
  wide = await open(roles.runtimeUrls.context, roles.migrationUrl, undefined, 4);
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(`insert into ${SCHEMA}.note values ($1, $2, 'a1'), ($3, $2, 'a2'), ($4, $5, 'b1')`, [randomUUID(), A, randomUUID(), randomUUID(), B]);
  await admin.end();
});

afterAll(async () => {
  await orm?.close(true);
  await wide?.close(true);
  await db?.drop();
});

describe('acting for a clinician', () => {
  it('covers find, forks, raw SQL, knex builders, parallel queries, nested transactions and flushes', async () => {
    const seen = await actingAs({ userId: A }, async () => {
      const em = wide.em.fork();
      const knex = em.getKnex();
      const [found, forked, raw, built] = await Promise.all([
        em.find(NoteSchema, {}),
        em.fork().find(NoteSchema, {}),
        em.getConnection().execute<{ body: string }[]>(`select body from ${SCHEMA}.note`),
        em.execute<{ body: string }[]>(knex.select('body').from(`${SCHEMA}.note`)),
      ]);
      const nested = await em.transactional(async (outer) => {
        const first = await outer.find(NoteSchema, {});
        // A fork inside a transaction leaves it (MikroORM), and still acts for A.
        const [inner, fork] = await Promise.all([
          outer.transactional((savepoint) => savepoint.find(NoteSchema, {})),
          wide.em.fork().find(NoteSchema, {}),
        ]);
        return [first, inner, fork];
      });
      const created = em.create(NoteSchema, { id: randomUUID(), userId: A, body: 'a3' });
      await em.flush();
      const afterFlush = await em.fork().find(NoteSchema, {});
      em.remove(created);
      await em.flush();
      return { found, forked, raw, built, nested, afterFlush };
    });
    for (const notes of [seen.found, seen.forked, seen.raw, seen.built, ...seen.nested]) expect(bodies(notes)).toEqual(['a1', 'a2']);
    expect(bodies(seen.afterFlush)).toEqual(['a1', 'a2', 'a3']);
  });

  it("refuses to write a row as another clinician's", async () => {
    await expect(
      actingAs({ userId: A }, async () => {
        const em = orm.em.fork();
        em.create(NoteSchema, { id: randomUUID(), userId: B, body: 'forged' });
        await em.flush();
      }),
    ).rejects.toThrow(/row-level security/);
    const updated = await actingAs({ userId: A }, () =>
      orm.em.fork().getConnection().execute(`update ${SCHEMA}.note set body = 'x' where body = 'b1'`, [], 'run'),
    );
    expect(updated).toMatchObject({ affectedRows: 0 });
  });

  it('leaves nothing behind on the pooled connection: the next call, or none, sees only its own rows', async () => {
    // poolMax is 1: every call below runs on the same connection.
    for (const [userId, expected] of [[A, ['a1', 'a2']], [undefined, []], [B, ['b1']], [undefined, []], [A, ['a1', 'a2']]] as const) {
      const run = () => orm.em.fork().find(NoteSchema, {});
      const notes = userId ? await actingAs({ userId }, run) : await run();
      expect(bodies(notes)).toEqual(expected);
    }
    expect(await databaseReachable(orm)).toBe(true);
  });

  it('keeps acting across awaits, and apart for concurrent calls', async () => {
    const call = (userId: string) =>
      actingAs({ userId }, async () => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
        return bodies(await wide.em.fork().find(NoteSchema, {}));
      });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => call(i % 2 ? A : B)));
    results.forEach((r, i) => expect(r).toEqual(i % 2 ? ['a1', 'a2'] : ['b1']));
  });

  it('is what actingFor wraps each call in, with a request context of its own', async () => {
    const around = actingFor(orm);
    const result = await around({ principal: { userId: B } }, async () => ({
      identity: currentActingIdentity(),
      hasContext: RequestContext.getEntityManager() !== undefined,
      // orm.em itself resolves to the call's context (the global one is refused).
      notes: bodies(await orm.em.find(NoteSchema, {})),
    }));
    expect(result).toEqual({ identity: { userId: B }, hasContext: true, notes: ['b1'] });
    expect(currentActingIdentity()).toBeUndefined();
  });

  it('sees nothing through knex used on its own (fail closed), and refuses a malformed user id', async () => {
    const bypass = await actingAs({ userId: A }, () => orm.em.getKnex().select('body').from(`${SCHEMA}.note`));
    expect(bypass).toEqual([]);
    expect(() => actingAs({ userId: "x' or true --" }, async () => undefined)).toThrow(/UUID/);
  });
});

describe('createOrm', () => {
  it('warns when the runtime role bypasses row-level security', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, message: string) => warnings.push(message), error() {}, debug() {} } as unknown as Logger;
    const superuser = await open(db.url, undefined, logger);
    await superuser.close(true);
    expect(warnings.some((w) => w.includes('bypasses row-level security'))).toBe(true);

    warnings.length = 0;
    const runtime = await open(roles.runtimeUrls.context, roles.migrationUrl, logger);
    await runtime.close(true);
    expect(warnings).toEqual([]);
  });
});

describe("the caller's deadline and cancellation reach Postgres", () => {
  const sleep = (em: Orm['em']) => em.getConnection().execute('select pg_sleep(4)');

  it('gives each transaction what remains of the deadline as its statement timeout', async () => {
    // pg_sleep(4) would succeed within the 5 s configured bound: only the deadline's timeout stops it.
    const failure = await actingAs({ userId: A, deadline: new Date(Date.now() + 300) }, () => sleep(wide.em.fork())).catch((e: unknown) => e);
    expect((failure as { code?: string }).code).toBe('57014');
  });

  it('cancels the running statement when the caller gives up', async () => {
    const controller = new AbortController();
    const running = actingAs({ userId: A, signal: controller.signal }, () => sleep(wide.em.fork())).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 200);
    expect(((await running) as { code?: string }).code).toBe('57014');
  });

  it('does not reach the database once the deadline has passed', async () => {
    const failure = await actingAs({ userId: A, deadline: new Date(Date.now() - 1) }, () => sleep(wide.em.fork())).catch((e: unknown) => e);
    expect((failure as Error).message).toMatch(/deadline exceeded/);
  });
});
