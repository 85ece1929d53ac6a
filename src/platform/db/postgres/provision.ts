import { createHmac } from 'node:crypto';
import pg from 'pg';

/**
 * One DATABASE_URL configures the whole system. Each module gets its own PostgreSQL database
 * and its own login role, which owns that database and may connect to nothing else (CONNECT is
 * revoked from PUBLIC): isolation is physical, as with one SQLite file per module. Names follow
 * the URL's database: `ticketing` → database and role `ticketing_payment`, `ticketing_data_platform`.
 */
export interface ModuleDatabaseAddress {
  database: string;
  role: string;
  /** What the module's pool connects with. */
  connectionString: string;
}

const SAFE_NAME = /^[a-z_][a-z0-9_]{0,40}$/;

export class ProvisioningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvisioningError';
  }
}

/** The system's name: the URL's database (`ticketing`), which prefixes every module's database and role. */
export function systemDatabaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'ticketing';
  if (!SAFE_NAME.test(name))
    throw new ProvisioningError(
      `the database name "${name}" must be lower-case letters, digits and underscores (at most 41), since each module's database and role are named after it`,
    );
  return name;
}

export function moduleAddress(url: string, moduleName: string): ModuleDatabaseAddress {
  const base = new URL(url);
  const name = `${systemDatabaseName(url)}_${moduleName.replace(/-/g, '_')}`;
  const address = new URL(url);
  address.username = name;
  address.password = rolePassword(base, name);
  address.pathname = `/${name}`;
  return { database: name, role: name, connectionString: address.toString() };
}

/**
 * Each role's password, derived from the URL's own (or, without one, from the URL itself), so
 * that every process of the system computes the same without another setting.
 */
function rolePassword(base: URL, role: string): string {
  const secret = base.password ? decodeURIComponent(base.password) : `${base.protocol}//${base.username}@${base.host}${base.pathname}`;
  return createHmac('sha256', secret).update(`ticketing/module-role/${role}`).digest('base64url');
}

const provisioned = new Map<string, Promise<void>>();

/**
 * Creates each module's role and database when missing, with the URL's credentials (which need
 * CREATEROLE and CREATEDB, or an administrator who created them beforehand), over one admin
 * connection. Safe when several processes start at once; once per process per database.
 */
export function provisionSystem(url: string, moduleNames: readonly string[]): Promise<void> {
  const missing = moduleNames.filter((m) => !provisioned.has(moduleAddress(url, m).database));
  if (missing.length === 0) return Promise.all(moduleNames.map((m) => provisioned.get(moduleAddress(url, m).database))).then(() => undefined);
  const done = withAdmin(url, async (admin) => {
    for (const moduleName of missing) {
      const { database, role, connectionString } = moduleAddress(url, moduleName);
      try {
        const password = new URL(connectionString).password;
        if (!(await exists(admin, 'select 1 from pg_roles where rolname = $1', role))) {
          await ignoringDuplicates(() => admin.query(`create role "${role}" login password '${password}'`));
        }
        if (!(await exists(admin, 'select 1 from pg_database where datname = $1', database))) {
          await ignoringDuplicates(() => admin.query(`create database "${database}" owner "${role}"`));
        }
        await admin.query(`revoke connect on database "${database}" from public`);
      } catch (err) {
        throw new ProvisioningError(
          `could not create the ${moduleName} module's database "${database}" with DATABASE_URL's credentials: ${(err as Error).message}`,
        );
      }
    }
  });
  for (const m of missing) provisioned.set(moduleAddress(url, m).database, done);
  done.catch(() => {
    for (const m of missing) provisioned.delete(moduleAddress(url, m).database);
  });
  return done;
}

export function provisionModuleDatabase(url: string, moduleName: string): Promise<void> {
  return provisionSystem(url, [moduleName]);
}

/** Drops what provisioning created for these systems (tests and tools; never at run time), over a few admin connections. */
export async function dropSystems(urls: readonly string[], moduleNames: readonly string[], connections = 4): Promise<void> {
  if (urls.length === 0) return;
  const targets = urls.flatMap((url) => moduleNames.map((m) => moduleAddress(url, m)));
  let next = 0;
  const worker = () =>
    withAdmin(urls[0], async (admin) => {
      while (next < targets.length) {
        const { database, role } = targets[next];
        next += 1;
        provisioned.delete(database);
        await admin.query(`drop database if exists "${database}" with (force)`);
        await admin.query(`drop role if exists "${role}"`);
      }
    });
  await Promise.all(Array.from({ length: Math.min(connections, targets.length) }, worker));
}

/** Runs `work` on one admin connection to the URL's database or, if that does not exist, to `postgres`. */
async function withAdmin<T>(url: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  let admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
  } catch (err) {
    await admin.end().catch(() => undefined);
    if ((err as { code?: string }).code !== '3D000') throw err;
    const fallback = new URL(url);
    fallback.pathname = '/postgres';
    admin = new pg.Client({ connectionString: fallback.toString() });
    await admin.connect();
  }
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

async function exists(admin: pg.Client, sql: string, value: string): Promise<boolean> {
  return (await admin.query(sql, [value])).rows.length > 0;
}

async function ignoringDuplicates(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    // Another process created it between our check and our create.
    const code = (err as { code?: string }).code;
    if (code !== '42710' && code !== '42P04' && code !== '23505') throw err;
  }
}
