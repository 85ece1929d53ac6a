import { injectable } from 'inversify';
import type { Db, Transaction } from '../../../platform/db/module-database';
import { normalizeEmail, type UserRecord } from '../domain/user';

interface UserRow {
  id: number;
  email: string;
  name: string;
  password_hash: string;
  role: UserRecord['role'];
  locale: UserRecord['locale'];
}

const fromRow = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  name: row.name,
  passwordHash: row.password_hash,
  role: row.role,
  locale: row.locale,
});

@injectable()
export class UserRepository {
  async findByEmail(q: Db, email: string): Promise<UserRecord | null> {
    const row: UserRow | undefined = await q('users')
      .where({ email: normalizeEmail(email) })
      .first();
    return row ? fromRow(row) : null;
  }

  async findById(q: Db, id: number): Promise<UserRecord | null> {
    const row: UserRow | undefined = await q('users').where({ id }).first();
    return row ? fromRow(row) : null;
  }

  /** Returns null when the e-mail is taken (the unique index decides, so races are safe). */
  async insert(trx: Transaction, user: Omit<UserRecord, 'id'>, createdAtMs: number): Promise<UserRecord | null> {
    const email = normalizeEmail(user.email);
    const inserted: Array<{ id: number }> = await trx('users')
      .insert({ email, name: user.name, password_hash: user.passwordHash, role: user.role, locale: user.locale, created_at_ms: createdAtMs })
      .onConflict('email')
      .ignore()
      .returning('id');
    if (inserted.length === 0) return null;
    return { ...user, email, id: inserted[0].id };
  }

  /**
   * Replaces the password hash only if it is still `from`, the one the password was just checked
   * against; false if it changed meanwhile (a reset by another process must not be undone).
   */
  async replaceHash(trx: Transaction, id: number, from: string, to: string): Promise<boolean> {
    const n = await trx('users').where({ id, password_hash: from }).update({ password_hash: to });
    return n === 1;
  }

  /** Sets the role, unless the account is an ADMIN (then false, and nothing changes). */
  async setRoleUnlessAdmin(trx: Transaction, id: number, role: UserRecord['role']): Promise<boolean> {
    const n = await trx('users').where({ id }).whereNot({ role: 'ADMIN' }).update({ role });
    return n === 1;
  }

  async update(trx: Transaction, id: number, changes: Partial<Pick<UserRecord, 'passwordHash' | 'role'>>): Promise<void> {
    const row: Record<string, unknown> = {};
    if (changes.passwordHash) row.password_hash = changes.passwordHash;
    if (changes.role) row.role = changes.role;
    await trx('users').where({ id }).update(row);
  }
}
