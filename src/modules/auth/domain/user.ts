import type { Role } from '../../../platform/auth/access-token';

export interface UserRecord {
  id: number;
  /** Stored lower-cased: e-mails are unique whatever their case. */
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
}

/** What leaves the module: never the password hash. */
export interface PublicUser {
  id: number;
  email: string;
  name: string;
  role: Role;
}

export function toPublicUser(user: UserRecord): PublicUser {
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

export function normalizeEmail(email: string): string {
  return email.toLowerCase();
}
