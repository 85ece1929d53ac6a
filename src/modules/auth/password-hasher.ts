import bcrypt from 'bcrypt';
import { inject, injectable } from 'inversify';
import type { AppConfig } from '../../platform/config/config';
import { PLATFORM } from '../../platform/platform.di-tokens';

@injectable()
export class PasswordHasher {
  /** Compared against when the e-mail is unknown, so both failures cost the same time. */
  private readonly decoy: Promise<string>;

  constructor(@inject(PLATFORM.Config) private readonly config: AppConfig) {
    this.decoy = bcrypt.hash('decoy-password-for-timing', config.bcryptRounds);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.config.bcryptRounds);
  }

  async verify(password: string, hash: string | null): Promise<boolean> {
    const ok = await bcrypt.compare(password, hash ?? (await this.decoy));
    return hash !== null && ok;
  }
}
