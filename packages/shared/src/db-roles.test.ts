import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATOR_ROLE, SERVICE_NAMES, provisionDatabaseRoles, serviceRole } from './db-roles.js';
import { createScratchDatabase } from './scratch-database.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dropped: Array<() => Promise<void>> = [];

async function scratch() {
  const db = await createScratchDatabase(ADMIN_URL, 'clinote_test_roles');
  dropped.push(db.drop);
  return db;
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await Promise.all(dropped.map((drop) => drop()));
});

describe('provisionDatabaseRoles', () => {
  it('is safe to run concurrently, on one database and on several (roles are cluster-wide)', async () => {
    const dbs = await Promise.all([scratch(), scratch(), scratch()]);
    const runs = await Promise.all([...dbs, dbs[0]!, dbs[0]!].map((db) => provisionDatabaseRoles(db.url)));
    // Every provisioner derives the same passwords, so no run breaks another's URLs.
    expect(new Set(runs.map((r) => new URL(r.migrationUrl).password)).size).toBe(1);
    for (const [i, db] of [...dbs, dbs[0]!, dbs[0]!].entries()) {
      const roles = runs[i]!;
      const target = new URL(db.url);
      for (const service of SERVICE_NAMES) {
        const url = new URL(roles.runtimeUrls[service]);
        expect([url.host, url.pathname, url.username]).toEqual([target.host, target.pathname, serviceRole(service)]);
        expect(roles.envFor(service)).toEqual({ DATABASE_URL: roles.runtimeUrls[service], DATABASE_MIGRATION_URL: roles.migrationUrl });
        expect(await query(roles.runtimeUrls[service], 'select current_user as name')).toEqual([{ name: serviceRole(service) }]);
      }
      expect(await query(roles.migrationUrl, 'select current_user as name')).toEqual([{ name: MIGRATOR_ROLE }]);
    }
  });

  it('lets the migrator create schemas, and the service roles nothing', async () => {
    const db = await scratch();
    const roles = await provisionDatabaseRoles(db.url);
    await query(roles.migrationUrl, 'create schema gateway');
    for (const service of SERVICE_NAMES) {
      await expect(query(roles.runtimeUrls[service], `create schema ${service}_own`)).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('narrows a role widened by hand again', async () => {
    const db = await scratch();
    await provisionDatabaseRoles(db.url);
    await query(db.url, `alter role ${serviceRole('context')} with createdb`);
    await provisionDatabaseRoles(db.url);
    expect(await query(db.url, `select rolcreatedb from pg_roles where rolname = '${serviceRole('context')}'`)).toEqual([{ rolcreatedb: false }]);
  });

  it('hands schemas an earlier superuser-run migration created over to the migrator', async () => {
    const db = await scratch();
    await query(
      db.url,
      `create schema extraction;
       create table extraction.legacy (id serial primary key, note text);
       create sequence extraction.standalone;
       create view extraction.legacy_view as select id from extraction.legacy;
       create function extraction.answer() returns int language sql as 'select 42'`,
    );
    const roles = await provisionDatabaseRoles(db.url);
    const owners = await query<{ name: string; owner: string }>(
      db.url,
      `select nspname as name, pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = 'extraction'
       union all select relname, pg_get_userbyid(relowner) from pg_class where relnamespace = 'extraction'::regnamespace and relkind in ('r', 'S', 'v')
       union all select proname, pg_get_userbyid(proowner) from pg_proc where pronamespace = 'extraction'::regnamespace
       order by 1`,
    );
    expect(owners.map((o) => o.name)).toEqual(['answer', 'extraction', 'legacy', 'legacy_id_seq', 'legacy_view', 'standalone']);
    for (const o of owners) expect(o).toEqual({ name: o.name, owner: MIGRATOR_ROLE });
    // The migrator can now migrate it.
    await query(roles.migrationUrl, 'alter table extraction.legacy add column more text');
  });
});
