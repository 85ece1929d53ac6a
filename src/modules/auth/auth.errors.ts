import { DomainError } from '../../platform/domain/domain-error';

/** The auth module's refusals, by stable code. Routes map them to HTTP statuses. */
export const AuthErrors = {
  emailTaken: () => new DomainError('EMAIL_TAKEN', 'E-mail taken', 'An account with this e-mail already exists.'),
  /** The same for an unknown e-mail and a wrong password: nothing tells which. */
  invalidCredentials: () => new DomainError('INVALID_CREDENTIALS', 'Invalid credentials', 'The e-mail or password is wrong.'),
  /** A valid token of an account that no longer exists is as good as no token. */
  userNotFound: (id: number) => new DomainError('USER_NOT_FOUND', 'User not found', `There is no account ${id}.`),
  /** An ADMIN's role comes from the configuration (ADMIN_EMAIL), not from the API. */
  roleNotChangeable: (id: number) =>
    new DomainError('ROLE_NOT_CHANGEABLE', 'Role not changeable', `Account ${id} is an ADMIN; its role is not changed from the API.`),
  accountGone: () => new DomainError('UNAUTHORIZED', 'Unauthorized', 'The account behind this token no longer exists.'),
};
