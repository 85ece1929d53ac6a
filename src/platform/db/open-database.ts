import type { StoredDatabase } from './module-database';
import { PostgresDatabase, type PostgresStorage } from './postgres/postgres-database';
import { SqliteDatabase } from './sqlite/sqlite-database';

/** Where the module databases live: SQLite files (the embedded default) or a PostgreSQL server. */
export type DatabaseStorage = { kind: 'sqlite'; dataDir: string } | ({ kind: 'postgres' } & PostgresStorage);

export function openModuleDatabase(moduleName: string, storage: DatabaseStorage): StoredDatabase {
  return storage.kind === 'postgres' ? new PostgresDatabase(moduleName, storage) : new SqliteDatabase(moduleName, storage.dataDir);
}
