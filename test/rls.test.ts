// Row-level security as the backstop: with the mesh running under its service roles, raw SQL as each
// service's role acting for clinician A sees A's rows and none of B's, in every table of every schema
// (enumerated from the catalog, so a new table cannot be forgotten); the roles are powerless beyond that.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAciBench } from '@clinote/shared/fixtures/datasets.js';
import { SOAP_NOTE_SECTIONS } from '@clinote/shared/fixtures/sops.js';
import { MIGRATOR_ROLE, SERVICE_NAMES, provisionDatabaseRoles, serviceRole, type DatabaseRoles, type ServiceName } from '@clinote/shared/db-roles.js';
import { createScratchDatabase } from '@clinote/shared/scratch-database.js';
import { startMesh, type Mesh } from '../scripts/lib/mesh.js';
import { ADMIN_DATABASE_URL, REDIS_URL } from './support/env.js';
import { call } from './support/grpc.js';

/** Tables that hold no patient or clinician data, and why; every other table must enable and force RLS. */
const NO_CLINICAL_DATA: Record<string, string> = Object.fromEntries(
  SERVICE_NAMES.map((s) => [`${s}.mikro_orm_migrations`, 'migration names and times; the runtime role has no access at all']),
);

interface Clinician {
  userId: string;
  sopId: string;
  encounterId: string;
}

/**
 * How each covered table says whose a row is (as SQL over alias t), and a statement that tries to
 * hand the acting clinician's rows to the other one ($1: the other's ids), which the policy refuses.
 */
const OWNERSHIP: Record<string, { owner: string; steal: (other: Clinician) => [string, unknown[]] }> = {
  'gateway.app_user': { owner: 't.id', steal: (o) => ['update gateway.app_user set id = $1', [o.userId]] },
  // Append-only besides: its trigger refuses any UPDATE with the same SQLSTATE.
  'gateway.audit_event': { owner: 't.subject_user_id', steal: (o) => ['update gateway.audit_event set subject_user_id = $1', [o.userId]] },
  'context.sop': { owner: 't.user_id', steal: (o) => ['update context.sop set user_id = $1', [o.userId]] },
  'context.sop_version': {
    owner: '(select s.user_id from context.sop s where s.id = t.sop_id)',
    steal: (o) => ['update context.sop_version set sop_id = $1', [o.sopId]],
  },
  'context.encounter': { owner: 't.user_id', steal: (o) => ['update context.encounter set user_id = $1', [o.userId]] },
  'context.encounter_embedding': {
    owner: '(select e.user_id from context.encounter e where e.id = t.encounter_id)',
    steal: (o) => ['update context.encounter_embedding set encounter_id = $1', [o.encounterId]],
  },
  'context.user_history': { owner: 't.user_id', steal: (o) => ['update context.user_history set user_id = $1', [o.userId]] },
  'extraction.llm_usage': { owner: 't.user_id', steal: (o) => ['update extraction.llm_usage set user_id = $1', [o.userId]] },
  'extraction.extraction_record': {
    owner: 't.user_id',
    steal: (o) => ['update extraction.extraction_record set user_id = $1', [o.userId]],
  },
  'embedding.embedding_cache_entry': {
    owner: 't.user_id',
    steal: (o) => ['update embedding.embedding_cache_entry set user_id = $1', [o.userId]],
  },
};

const train = loadAciBench('train');
const valid = loadAciBench('valid');

let db: Awaited<ReturnType<typeof createScratchDatabase>>;
let mesh: Mesh;
let roles: DatabaseRoles;
let admin: pg.Client;
let a: Clinician;
let b: Clinician;

async function clinician(label: string, sample: number): Promise<Clinician> {
  const client = await mesh.clientAs(`${label}-${Math.random().toString(36).slice(2)}`);
  const { user } = await call(client, client.createUser, { email: `${label}@test.local`, displayName: label });
  const { sop } = await call(client, client.createSop, { userId: '', name: 'SOAP', sections: SOAP_NOTE_SECTIONS });
  await call(client, client.updateSop, { userId: '', sopId: sop!.id, name: 'SOAP v2', sections: SOAP_NOTE_SECTIONS });
  await call(client, client.importEncounters, {
    userId: '',
    encounters: train.slice(sample, sample + 2).map((e) => ({ transcript: e.src, note: e.tgt, externalId: e.file, qualityScore: 0.9 })),
  });
  const { extraction } = await call(client, client.extract, {
    userId: '',
    transcript: valid[sample]!.src,
    sopIds: [sop!.id],
    idempotencyKey: `${label}-visit`,
    referenceNote: '',
  });
  // The offline extractor calls no LLM, so usage rows are written here, as the superuser.
  await admin.query(
    `insert into extraction.llm_usage (id, user_id, sop_id, model, prompt_tokens, completion_tokens, cost_usd)
     values (gen_random_uuid(), $1, $2, 'test-model', 10, 5, 0.001)`,
    [user!.id, sop!.id],
  );
  return { userId: user!.id, sopId: sop!.id, encounterId: extraction!.id };
}

/** A connection as `role`, closed after fn. */
async function as<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs fn in a transaction acting for `userId` (undefined: no setting at all), always rolled back. */
async function acting<T>(client: pg.Client, userId: string | undefined, fn: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    if (userId !== undefined) await client.query(`select set_config('app.user_id', $1, true)`, [userId]);
    return await fn();
  } finally {
    await client.query('rollback');
  }
}

async function sqlState(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err: unknown) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

interface TableFacts {
  schema: ServiceName;
  name: string;
  qualified: string;
  rls: boolean;
  forced: boolean;
}

async function tables(): Promise<TableFacts[]> {
  const { rows } = await admin.query<{ schema: ServiceName; name: string; rls: boolean; forced: boolean }>(
    `select n.nspname as schema, c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
     order by 1, 2`,
  );
  return rows.map((r) => ({ ...r, qualified: `${r.schema}.${r.name}` }));
}

beforeAll(async () => {
  db = await createScratchDatabase(ADMIN_DATABASE_URL, 'clinote_test_rls');
  mesh = await startMesh({ databaseUrl: db.url, redisUrl: REDIS_URL, env: { REDIS_KEY_PREFIX: `clinote:test:rls:${Date.now()}:` } });
  // Provisioning again is a no-op that hands back the same URLs the mesh runs with.
  roles = await provisionDatabaseRoles(db.url);
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  a = await clinician('a', 0);
  b = await clinician('b', 3);
});

afterAll(async () => {
  await admin?.end();
  await mesh?.stop();
  await db?.drop();
});

describe('row-level security', () => {
  it('is enabled and forced on every table that is not explicitly free of clinical data', async () => {
    const all = await tables();
    expect(all.length).toBeGreaterThan(Object.keys(NO_CLINICAL_DATA).length);
    for (const t of all) {
      if (t.qualified in NO_CLINICAL_DATA) continue;
      expect({ table: t.qualified, rls: t.rls, forced: t.forced }).toEqual({ table: t.qualified, rls: true, forced: true });
      expect(OWNERSHIP[t.qualified], `${t.qualified} needs an ownership rule in this test`).toBeDefined();
      expect(SERVICE_NAMES).toContain(t.schema);
    }
  });

  it("shows a service's role acting for A all of A's rows and none of B's, in every table", async () => {
    for (const t of (await tables()).filter((x) => !(x.qualified in NO_CLINICAL_DATA))) {
      const rule = OWNERSHIP[t.qualified]!;
      const { rows } = await admin.query<{ row: string; owner: string }>(`select to_jsonb(t)::text as row, ${rule.owner} as owner from ${t.qualified} t`);
      const ownerOf = new Map(rows.map((r) => [r.row, r.owner]));
      const ofA = rows.filter((r) => r.owner === a.userId).length;
      expect({ table: t.qualified, a: ofA > 0, b: rows.some((r) => r.owner === b.userId) }).toEqual({ table: t.qualified, a: true, b: true });

      await as(roles.runtimeUrls[t.schema], async (client) => {
        const seen = await acting(client, a.userId, () => client.query<{ row: string }>(`select to_jsonb(t)::text as row from ${t.qualified} t`));
        expect({ table: t.qualified, owners: [...new Set(seen.rows.map((r) => ownerOf.get(r.row)))] }).toEqual({ table: t.qualified, owners: [a.userId] });
        expect(seen.rows.length).toBe(ofA);

        // Not acting for anyone, or for an empty id: no rows, and no error.
        for (const none of [undefined, '']) {
          const nothing = await acting(client, none, () => client.query(`select 1 from ${t.qualified}`));
          expect({ table: t.qualified, setting: none, rows: nothing.rowCount }).toEqual({ table: t.qualified, setting: none, rows: 0 });
        }

        // A's rows cannot be handed to B (WITH CHECK).
        const [sql, params] = rule.steal(b);
        expect({ table: t.qualified, code: await acting(client, a.userId, () => sqlState(client.query(sql, params))) }).toEqual({
          table: t.qualified,
          code: '42501',
        });
      });

      // Other services' roles cannot even see the schema.
      for (const other of SERVICE_NAMES.filter((s) => s !== t.schema)) {
        const code = await as(roles.runtimeUrls[other], (client) => acting(client, a.userId, () => sqlState(client.query(`select 1 from ${t.qualified}`))));
        expect({ table: t.qualified, role: other, code }).toEqual({ table: t.qualified, role: other, code: '42501' });
      }
    }
  });

  it('runs every service of the mesh as its own role', async () => {
    const { rows } = await admin.query<{ application: string; role: string }>(
      `select application_name as application, usename as role from pg_stat_activity
       where datname = current_database() and application_name like 'clinote-%'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r).toEqual({ application: r.application, role: serviceRole(r.application.slice('clinote-'.length) as ServiceName) });
  });
});

describe('the database roles', () => {
  it('are neither superusers nor able to bypass RLS, create roles or databases', async () => {
    const names = [MIGRATOR_ROLE, ...SERVICE_NAMES.map(serviceRole)];
    const { rows } = await admin.query(
      `select rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication from pg_roles where rolname = any($1) order by 1`,
      [names],
    );
    expect(rows).toEqual(
      [...names].sort().map((rolname) => ({ rolname, rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false })),
    );
  });

  it('cannot SET ROLE to a superuser or to the migrator', async () => {
    for (const url of [roles.migrationUrl, ...Object.values(roles.runtimeUrls)]) {
      await as(url, async (client) => {
        expect(await sqlState(client.query('set role postgres'))).toBe('42501');
        expect(await sqlState(client.query('set session authorization postgres'))).toBe('42501');
      });
    }
    for (const service of SERVICE_NAMES) {
      await as(roles.runtimeUrls[service], async (client) => expect(await sqlState(client.query(`set role ${MIGRATOR_ROLE}`))).toBe('42501'));
    }
  });

  it('give a runtime role no access to migration bookkeeping and no way to create tables', async () => {
    for (const service of SERVICE_NAMES) {
      await as(roles.runtimeUrls[service], async (client) => {
        const refused = {
          bookkeeping: await sqlState(client.query(`select * from ${service}.mikro_orm_migrations`)),
          ownSchema: await sqlState(client.query(`create table ${service}.intruder (id int)`)),
          publicSchema: await sqlState(client.query('create table public.intruder (id int)')),
          temporary: await sqlState(client.query('create temporary table intruder (id int)')),
          newSchema: await sqlState(client.query('create schema intruder')),
          alter: await sqlState(client.query(`alter table ${service}.mikro_orm_migrations disable row level security`)),
        };
        expect({ service, ...refused }).toEqual({
          service,
          bookkeeping: '42501',
          ownSchema: '42501',
          publicSchema: '42501',
          temporary: '42501',
          newSchema: '42501',
          alter: '42501',
        });
      });
    }
  });
});
