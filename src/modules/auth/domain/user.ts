import type { Role } from '../../../platform/auth/access-token';

export const ROLE_NAMES = ['USER', 'ADMIN', 'STAFF'] as const satisfies readonly Role[];

/** The languages a user's notifications can be written in; `ko` unless chosen at signup. */
export const LOCALES = ['ko', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'ko';

/** The roles an admin may give (`ADMIN` comes only from ADMIN_EMAIL). */
export const GRANTABLE_ROLES = ['STAFF', 'USER'] as const;
export type GrantableRole = (typeof GRANTABLE_ROLES)[number];

/**
 * Whether an admin may set this account's role: the configured admin's role is the configuration's,
 * so an ADMIN is never demoted (or turned into STAFF) from the API.
 */
export function mayChangeRole(user: Pick<UserRecord, 'role'>): boolean {
  return user.role !== 'ADMIN';
}

export interface UserRecord {
  id: number;
  /** Stored lower-cased: e-mails are unique whatever their case. */
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
  locale: Locale;
}

/** What leaves the module: never the password hash. */
export interface PublicUser {
  id: number;
  email: string;
  name: string;
  role: Role;
  locale: Locale;
}

export function toPublicUser(user: UserRecord): PublicUser {
  return { id: user.id, email: user.email, name: user.name, role: user.role, locale: user.locale };
}

export function normalizeEmail(email: string): string {
  return email.toLowerCase();
}
