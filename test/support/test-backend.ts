import { MODULE_NAMES } from '../../src/platform/config/config';
import type { DatabaseStorage } from '../../src/platform/db/open-database';
import { dropSystems } from '../../src/platform/db/postgres/provision';

/**
 * Which database the suite runs on. `npm test` runs it on SQLite, then (with TEST_DATABASE_URL
 * set) once more with TEST_BACKEND=postgres. On PostgreSQL every test app gets a fresh system of
 * its own (a database and a role per module, named `tk<run>_<n>_<module>`), and a data directory
 * a test restarts on maps to one such system, so a restart finds its data again. Everything
 * created is dropped when the run ends.
 */
export const onPostgres = process.env.TEST_BACKEND === 'postgres';

const adminUrl = process.env.TEST_DATABASE_URL;
if (onPostgres && !adminUrl) throw new Error('TEST_BACKEND=postgres needs TEST_DATABASE_URL (postgres://user@host:port/database with CREATEDB and CREATEROLE)');

const run = `tk${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
let systems = 0;
const created = new Set<string>();
const byDataDir = new Map<string, string>();

/** A DATABASE_URL naming a system nobody has used. */
export function freshDatabaseUrl(): string {
  systems += 1;
  return systemUrl(`${run}_${systems}`);
}

/** The DATABASE_URL standing for a data directory: the same directory, the same system. */
export function databaseUrlFor(dataDir: string): string {
  let url = byDataDir.get(dataDir);
  if (!url) {
    url = freshDatabaseUrl();
    byDataDir.set(dataDir, url);
  }
  return url;
}

function systemUrl(name: string): string {
  const url = new URL(adminUrl!);
  url.pathname = `/${name}`;
  const text = url.toString();
  created.add(text);
  return text;
}

/** The environment a test app (or a spawned server) runs with on this backend, for the data directory it was given. */
export function backendEnv(env: Record<string, string>): Record<string, string> {
  if (!onPostgres || env.DATABASE_URL) return env;
  const dataDir = env.DATA_DIR ?? ':memory:';
  return { ...env, DATABASE_URL: dataDir === ':memory:' ? freshDatabaseUrl() : databaseUrlFor(dataDir) };
}

/** Where a module database a test opens directly lives on this backend, for the data directory it was given. */
export function storageFor(dataDir: string): DatabaseStorage {
  if (!onPostgres) return { kind: 'sqlite', dataDir };
  return { kind: 'postgres', url: dataDir === ':memory:' ? freshDatabaseUrl() : databaseUrlFor(dataDir), poolMax: 5 };
}

/** Drops every system this run created. */
export async function dropCreatedDatabases(): Promise<void> {
  const urls = [...created];
  created.clear();
  await dropSystems(urls, MODULE_NAMES);
}
