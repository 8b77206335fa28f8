// The database roles the services run as: one migrator that owns the schemas, and per service a
// login role that owns nothing and gets, from the migrator, only row access to its own schema.
import { createHmac } from 'node:crypto';
import pg from 'pg';

export const SERVICE_NAMES = ['gateway', 'context', 'embedding', 'extraction'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const MIGRATOR_ROLE = 'clinote_migrator';
export const serviceRole = (service: ServiceName): string => `clinote_${service}`;

export interface DatabaseRoles {
  /** The migrator's URL: DATABASE_MIGRATION_URL of every service. */
  migrationUrl: string;
  /** Each service's own role's URL: its DATABASE_URL. */
  runtimeUrls: Record<ServiceName, string>;
  /** DATABASE_URL and DATABASE_MIGRATION_URL for one service's environment. */
  envFor(service: ServiceName): { DATABASE_URL: string; DATABASE_MIGRATION_URL: string };
}

export interface ProvisionOptions {
  /**
   * Passwords are derived from this (HMAC per role), so every provisioner of a cluster sets the same
   * ones and running services keep connecting. Defaults to the admin URL's password: fine for a
   * development or test server; give a real secret wherever the server checks passwords for real.
   */
  secret?: string;
}

/** SQLSTATEs of a concurrent provisioner having just done the same thing. */
const RACES = new Set(['42710', '23505', 'XX000', '40001', '40P01']);

/**
 * Creates (or brings back in line) the roles, grants them what they need on `database`, and hands
 * over any service schema an earlier superuser-run migration left behind to the migrator.
 *
 * Idempotent and safe to run concurrently: roles are cluster-wide, so provisioners of different
 * databases may race on them; the same database's provisioners are serialised by an advisory lock.
 */
export async function provisionDatabaseRoles(
  adminUrl: string,
  database: string = databaseOf(adminUrl),
  options: ProvisionOptions = {},
): Promise<DatabaseRoles> {
  const secret = options.secret ?? (decodeURIComponent(new URL(adminUrl).password) || 'clinote-development');
  const password = (role: string) => createHmac('sha256', secret).update(role).digest('hex');
  const admin = new pg.Client({ connectionString: withDatabase(adminUrl, database), connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    await admin.query(`set lock_timeout = '60s'`);
    await admin.query('select pg_advisory_lock(hashtext($1))', ['clinote:db-roles']);
    // Nobody gets to own anything, nor to create tables, merely by connecting.
    const db = ident(database);
    await admin.query(`revoke temporary on database ${db} from public`);
    await admin.query('revoke create on schema public from public');

    await ensureRole(admin, MIGRATOR_ROLE, password(MIGRATOR_ROLE));
    await admin.query(`grant connect, create on database ${db} to ${ident(MIGRATOR_ROLE)}`);
    for (const service of SERVICE_NAMES) {
      const role = serviceRole(service);
      await ensureRole(admin, role, password(role));
      await admin.query(`revoke all on database ${db} from ${ident(role)}`);
      await admin.query(`grant connect on database ${db} to ${ident(role)}`);
    }
    await adoptSchemas(admin, SERVICE_NAMES);
  } finally {
    await admin.query('select pg_advisory_unlock(hashtext($1))', ['clinote:db-roles']).catch(() => undefined);
    await admin.end();
  }

  const urlFor = (role: string) => {
    const url = new URL(withDatabase(adminUrl, database));
    url.username = role;
    url.password = password(role);
    return url.toString();
  };
  const migrationUrl = urlFor(MIGRATOR_ROLE);
  const runtimeUrls = Object.fromEntries(SERVICE_NAMES.map((s) => [s, urlFor(serviceRole(s))])) as Record<ServiceName, string>;
  return {
    migrationUrl,
    runtimeUrls,
    envFor: (service) => ({ DATABASE_URL: runtimeUrls[service], DATABASE_MIGRATION_URL: migrationUrl }),
  };
}

/**
 * A login role with no power beyond its grants: not a superuser, no BYPASSRLS, cannot create roles
 * or databases, inherits nothing. Attributes are (re)set every time, so a role someone widened by
 * hand is narrowed again.
 */
async function ensureRole(admin: pg.Client, role: string, password: string): Promise<void> {
  const name = ident(role);
  await retryRaces(() =>
    admin.query(`do $$ begin create role ${name}; exception when duplicate_object or unique_violation then null; end $$`),
  );
  // The password is hex: safe as a literal (CREATE/ALTER ROLE take no bind parameters).
  await retryRaces(() =>
    admin.query(
      `alter role ${name} with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls noinherit password '${password}'`,
    ),
  );
}

/**
 * Schemas created before the roles existed (migrated as a superuser) pass to the migrator with
 * everything in them, so it can keep migrating them; their tables' row access is granted anew by
 * each service's start (see orm.ts).
 */
async function adoptSchemas(admin: pg.Client, schemas: readonly string[]): Promise<void> {
  const owned = await admin.query<{ nspname: string }>(
    `select n.nspname from pg_namespace n join pg_roles r on r.oid = n.nspowner
     where n.nspname = any($1) and r.rolname <> $2`,
    [schemas, MIGRATOR_ROLE],
  );
  for (const { nspname } of owned.rows) {
    // Sequences a column owns (serial, identity) follow their table.
    const objects = await admin.query<{ kind: string; name: string }>(
      `select case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view'
                             when 'f' then 'foreign table' else 'table' end as kind,
              format('%I.%I', n.nspname, c.relname) as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
         and not (c.relkind = 'S' and exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')))
       union all
       select 'routine', format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = $1`,
      [nspname],
    );
    await admin.query(`alter schema ${ident(nspname)} owner to ${ident(MIGRATOR_ROLE)}`);
    for (const o of objects.rows) await admin.query(`alter ${o.kind} ${o.name} owner to ${ident(MIGRATOR_ROLE)}`);
  }
}

async function retryRaces<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err: unknown) {
      const code = (err as { code?: string }).code;
      if (attempt >= attempts || !code || !RACES.has(code)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30));
    }
  }
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
