import { inject, injectable } from 'inversify';
import type { Db, ModuleDatabase, Transaction } from '../../../platform/db/module-database';
import { PLATFORM } from '../../../platform/platform.di-tokens';
import { normalizeEmail, type UserRecord } from '../domain/user';

interface UserRow {
  id: number;
  email: string;
  name: string;
  password_hash: string;
  role: UserRecord['role'];
}

const fromRow = (row: UserRow): UserRecord => ({ id: row.id, email: row.email, name: row.name, passwordHash: row.password_hash, role: row.role });

@injectable()
export class UserRepository {
  constructor(@inject(PLATFORM.Database) private readonly db: ModuleDatabase) {}

  async findByEmail(email: string, q: Db | Transaction = this.db.knex): Promise<UserRecord | null> {
    const row: UserRow | undefined = await q('users')
      .where({ email: normalizeEmail(email) })
      .first();
    return row ? fromRow(row) : null;
  }

  async findById(id: number): Promise<UserRecord | null> {
    const row: UserRow | undefined = await this.db.knex('users').where({ id }).first();
    return row ? fromRow(row) : null;
  }

  /** Returns null when the e-mail is taken (the unique index decides, so races are safe). */
  async insert(trx: Transaction, user: Omit<UserRecord, 'id'>, createdAtMs: number): Promise<UserRecord | null> {
    const email = normalizeEmail(user.email);
    const inserted: Array<{ id: number }> = await trx('users')
      .insert({ email, name: user.name, password_hash: user.passwordHash, role: user.role, created_at_ms: createdAtMs })
      .onConflict('email')
      .ignore()
      .returning('id');
    if (inserted.length === 0) return null;
    return { ...user, email, id: inserted[0].id };
  }

  async update(trx: Transaction, id: number, changes: Partial<Pick<UserRecord, 'passwordHash' | 'role'>>): Promise<void> {
    const row: Record<string, unknown> = {};
    if (changes.passwordHash) row.password_hash = changes.passwordHash;
    if (changes.role) row.role = changes.role;
    await trx('users').where({ id }).update(row);
  }
}
