export const AUTH = {
  UserRepository: Symbol.for('auth.UserRepository'),
  PasswordHasher: Symbol.for('auth.PasswordHasher'),
  SignupService: Symbol.for('auth.SignupService'),
  LoginService: Symbol.for('auth.LoginService'),
  MeQuery: Symbol.for('auth.MeQuery'),
  EnsureAdmin: Symbol.for('auth.EnsureAdmin'),
} as const;
