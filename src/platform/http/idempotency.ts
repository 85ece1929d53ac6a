import { createHash } from 'node:crypto';
import type { Clock } from '../clock/clock';
import type { ModuleDatabase } from '../db/module-database';
import { AppError, errors } from './app-error';
import { problemFrom } from './problem';
import type { HttpResult } from './route';

/** An IN_FLIGHT key older than this belongs to a request that died; a repeat may take it over. */
const ABANDONED_AFTER_MS = 60_000;
export const IDEMPOTENCY_RETENTION_MS = 24 * 3600 * 1000;

/**
 * Idempotency-Key support (Stripe / IETF draft): per user and key, the first response is stored
 * and replayed; the same key with another request is 422; a repeat while the first runs is 409.
 * The keys live in the database of the module that owns the route.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: ModuleDatabase,
    private readonly clock: Clock,
  ) {}

  static fingerprint(method: string, path: string, body: unknown): string {
    return createHash('sha256').update(`${method} ${path}\n${canonicalJson(body)}`).digest('hex');
  }

  async run(userId: number, key: string, route: string, fingerprint: string, work: () => Promise<HttpResult>): Promise<HttpResult & { replayed?: boolean }> {
    if (key.length === 0 || key.length > 255) throw errors.validation([{ field: 'headers.idempotency-key', message: 'must be 1 to 255 characters' }]);
    const now = this.clock.now();
    const existing = await this.db.transaction(async (trx) => {
      const row = await trx('idempotency_keys').where({ user_id: userId, idempotency_key: key }).first();
      if (row && !(row.state === 'IN_FLIGHT' && now - Number(row.created_at_ms) > ABANDONED_AFTER_MS)) return row;
      if (row) await trx('idempotency_keys').where({ user_id: userId, idempotency_key: key }).delete();
      await trx('idempotency_keys').insert({ user_id: userId, idempotency_key: key, route, fingerprint, state: 'IN_FLIGHT', created_at_ms: now });
      return null;
    });
    if (existing) {
      if (existing.fingerprint !== fingerprint || existing.route !== route) {
        throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency key reused', 'This Idempotency-Key was already used with a different request.');
      }
      if (existing.state === 'IN_FLIGHT') {
        throw new AppError(409, 'IDEMPOTENCY_IN_FLIGHT', 'Request in progress', 'A request with this Idempotency-Key is still being processed; retry shortly.', {}, { 'Retry-After': '1' });
      }
      return { status: existing.response_status, body: JSON.parse(existing.response_body), replayed: true };
    }
    let result: HttpResult;
    try {
      result = await work();
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        // A business refusal is an answer too: the same request gets the same answer.
        await this.store(userId, key, err.status, problemFrom(err));
      } else {
        // Unknown outcome of a failure on our side: free the key so the client can retry.
        await this.db.knex('idempotency_keys').where({ user_id: userId, idempotency_key: key }).delete();
      }
      throw err;
    }
    await this.store(userId, key, result.status, result.body ?? null);
    return result;
  }

  async purgeExpired(): Promise<number> {
    return this.db.knex('idempotency_keys').where('created_at_ms', '<', this.clock.now() - IDEMPOTENCY_RETENTION_MS).delete();
  }

  private async store(userId: number, key: string, status: number, body: unknown): Promise<void> {
    await this.db.knex('idempotency_keys').where({ user_id: userId, idempotency_key: key }).update({ state: 'DONE', response_status: status, response_body: JSON.stringify(body) });
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
