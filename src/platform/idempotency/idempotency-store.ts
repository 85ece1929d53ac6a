import { createHash } from 'node:crypto';
import type { Clock } from '../clock/clock';
import { type StoredDatabase, type Transaction, TransactionConflictError } from '../db/module-database';
import type { DomainError } from '../domain/domain-error';
import { AppError, errors } from '../http/app-error';
import type { HttpResult } from '../http/http-result';
import { problemFrom } from '../http/problem';
import type { ProcessIncarnations } from './process-incarnations';

export const IDEMPOTENCY_RETENTION_MS = 24 * 3600 * 1000;
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/**
 * The key of the request being served, as its handler sees it. A route whose effect is a local
 * transaction stores its answer with `complete` / `refuse` inside that transaction, so the effect
 * and the answer commit together or not at all. A route whose effect goes on outside the process
 * (a gateway charge, a saga) `attach`es what it started in the transaction that starts it; a
 * repeat then finds it in `resumeRef` and continues that, instead of starting anew.
 * Each of the three fails (and so rolls the transaction back) if the key was taken over meanwhile.
 */
export interface IdempotentCall {
  readonly key: string;
  readonly resumeRef: string | null;
  attach(trx: Transaction, ref: string): Promise<void>;
  complete(trx: Transaction, response: HttpResult): Promise<void>;
  /** Stores a refusal: a platform AppError, or a DomainError answered with the status its route declares. */
  refuse(trx: Transaction, error: AppError | DomainError): Promise<void>;
}

/** The same, speaking the use case's own result type; the route says how a result becomes a response. */
export interface IdempotencyScope<T> {
  readonly key: string;
  readonly resumeRef: string | null;
  attach(trx: Transaction, ref: string): Promise<void>;
  complete(trx: Transaction, result: T): Promise<void>;
  refuse(trx: Transaction, error: AppError | DomainError): Promise<void>;
}

export function scopeOf<T>(call: IdempotentCall | undefined, respond: (result: T) => HttpResult): IdempotencyScope<T> | undefined {
  if (!call) return undefined;
  return {
    key: call.key,
    resumeRef: call.resumeRef,
    attach: (trx, ref) => call.attach(trx, ref),
    complete: (trx, result) => call.complete(trx, respond(result)),
    refuse: (trx, error) => call.refuse(trx, error),
  };
}

/**
 * Thrown by a handler whose first attempt is still unresolved elsewhere (a gateway that cannot
 * tell yet): answered as is, and the key stays in flight for the next repeat to continue.
 */
export class OutcomePendingError extends AppError {
  constructor(detail: string, retryAfterSeconds = 2) {
    super(409, 'IDEMPOTENCY_IN_FLIGHT', 'Request in progress', detail, { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
  }
}

const inFlight = (detail = 'A request with this Idempotency-Key is still being processed; retry shortly.') => new OutcomePendingError(detail, 1);

class KeyTakenOverError extends Error {
  constructor(userId: number, key: string) {
    super(`Idempotency key ${key} of user ${userId} was taken over by another request; this one's effect is rolled back`);
    this.name = 'KeyTakenOverError';
  }
}

interface KeyRow {
  route: string;
  fingerprint: string;
  state: 'IN_FLIGHT' | 'DONE';
  owner: string | null;
  resume_ref: string | null;
  response_status: number | null;
  response_body: string | null;
}

/**
 * Idempotency-Key support (Stripe / IETF draft): per user and key, the first response is stored
 * and replayed; the same key with another request is 422; a repeat while the first runs is 409.
 * The keys live in the database of the module that owns the route. A key in flight names the
 * process working on it: when that process is gone (crashed, restarted), a repeat takes the key
 * over at once and continues what the first attempt started, if anything.
 */
export class IdempotencyStore {
  /** Keys this process is serving right now, `<user>:<key>`, each with the request serving it. */
  private readonly serving = new Map<string, symbol>();

  constructor(
    private readonly db: StoredDatabase,
    private readonly clock: Clock,
    private readonly incarnations: ProcessIncarnations,
  ) {}

  static fingerprint(method: string, path: string, body: unknown): string {
    return createHash('sha256')
      .update(`${method} ${path}\n${canonicalJson(body)}`)
      .digest('hex');
  }

  /** `toHttp` turns what the work throws (a DomainError) into the problem its route answers. */
  async run(
    userId: number,
    key: string,
    route: string,
    fingerprint: string,
    work: (call: IdempotentCall) => Promise<HttpResult>,
    toHttp: (err: unknown) => unknown = (err) => err,
  ): Promise<HttpResult & { replayed?: boolean }> {
    if (!KEY_PATTERN.test(key)) throw errors.validation([{ field: 'headers.idempotency-key', message: 'must be 1 to 255 printable ASCII characters' }]);
    const serving = `${userId}:${key}`;
    const me = Symbol(serving);
    let claim: Awaited<ReturnType<IdempotencyStore['claim']>>;
    try {
      claim = await this.claim(userId, key, route, fingerprint, me);
    } catch (err) {
      // A claim that did not commit serves nothing (another request of this process may be serving the key, though).
      if (this.serving.get(serving) === me) this.serving.delete(serving);
      throw err;
    }
    if (claim.kind === 'replay') return { status: claim.status, body: claim.body, replayed: true };
    let resolvedInTransaction = false;
    let attached = claim.resumeRef !== null;
    const owned = (trx: Transaction) => this.ownedBy(trx, userId, key);
    const call: IdempotentCall = {
      key,
      resumeRef: claim.resumeRef,
      attach: async (trx, ref) => {
        if ((await owned(trx).update({ resume_ref: ref })) !== 1) throw new KeyTakenOverError(userId, key);
        attached = true;
      },
      complete: async (trx, response) => {
        if ((await owned(trx).update(done(response.status, response.body ?? null))) !== 1) throw new KeyTakenOverError(userId, key);
        resolvedInTransaction = true;
      },
      refuse: async (trx, error) => {
        const problem = toHttp(error);
        if (!(problem instanceof AppError)) throw new Error(`A refusal must be an AppError or a DomainError, not ${String(problem)}`);
        if ((await owned(trx).update(done(problem.status, problemFrom(problem)))) !== 1) throw new KeyTakenOverError(userId, key);
        resolvedInTransaction = true;
      },
    };
    try {
      let result: HttpResult;
      try {
        result = await work(call);
      } catch (err) {
        if (err instanceof OutcomePendingError) await this.release(userId, key);
        else if (err instanceof AppError && err.status < 500) {
          // A business refusal is an answer too: the same request gets the same answer.
          if (!resolvedInTransaction) await this.storeIfOwned(userId, key, err.status, problemFrom(err));
        } else if (attached) {
          // Something was started and its outcome is unknown here: the next repeat continues it.
          await this.release(userId, key);
        } else {
          // Nothing was started (every effect attaches or completes in its own transaction): the repeat starts afresh.
          await this.db.transaction((trx) => this.ownedBy(trx, userId, key).delete());
        }
        throw err;
      }
      if (!resolvedInTransaction) await this.storeIfOwned(userId, key, result.status, result.body ?? null);
      return result;
    } finally {
      if (this.serving.get(serving) === me) this.serving.delete(serving);
    }
  }

  /**
   * Stores the answer of a key no request may be holding (the settle job resolving what a cut-off
   * request started), in the caller's transaction. A DomainError must first become its route's
   * problem (`problemFor`).
   */
  async completeUnowned(trx: Transaction, userId: number, key: string, response: HttpResult | AppError): Promise<void> {
    const stored = response instanceof AppError ? done(response.status, problemFrom(response)) : done(response.status, response.body ?? null);
    await trx('idempotency_keys').where({ user_id: userId, idempotency_key: key, state: 'IN_FLIGHT' }).update(stored);
  }

  async purgeExpired(): Promise<number> {
    return this.db.transaction((trx) =>
      trx('idempotency_keys')
        .where('created_at_ms', '<', this.clock.now() - IDEMPOTENCY_RETENTION_MS)
        .delete(),
    );
  }

  private async claim(
    userId: number,
    key: string,
    route: string,
    fingerprint: string,
    me: symbol,
  ): Promise<{ kind: 'replay'; status: number; body: unknown } | { kind: 'claimed'; resumeRef: string | null }> {
    const serving = `${userId}:${key}`;
    return this.db.transaction(async (trx) => {
      const row: KeyRow | undefined = await trx('idempotency_keys').where({ user_id: userId, idempotency_key: key }).first();
      if (!row) {
        const inserted = await trx('idempotency_keys')
          .insert({
            user_id: userId,
            idempotency_key: key,
            route,
            fingerprint,
            state: 'IN_FLIGHT',
            owner: this.incarnations.id,
            created_at_ms: this.clock.now(),
          })
          .onConflict(['user_id', 'idempotency_key'])
          .ignore()
          .returning('user_id');
        // A concurrent request with the same key claimed it after this snapshot: look again (then 409 or its answer).
        if (inserted.length === 0) throw new TransactionConflictError(`Idempotency-Key ${key}`);
        return this.serve(serving, me, null);
      }
      if (row.fingerprint !== fingerprint || row.route !== route) {
        throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency key reused', 'This Idempotency-Key was already used with a different request.');
      }
      if (row.state === 'DONE')
        return {
          kind: 'replay' as const,
          status: Number(row.response_status),
          body: row.response_body === null ? undefined : (JSON.parse(row.response_body) ?? undefined),
        };
      // Another request of this process serves it (this one's own mark, left by an attempt the database ran again, is no obstacle).
      const holder = this.serving.get(serving);
      if (holder !== undefined && holder !== me) throw inFlight();
      if (row.owner !== null && row.owner !== this.incarnations.id && (await this.incarnations.isAlive(trx, row.owner))) throw inFlight();
      // Nobody is working on it (released, or its process is gone): this request takes it over.
      await trx('idempotency_keys').where({ user_id: userId, idempotency_key: key, state: 'IN_FLIGHT' }).update({ owner: this.incarnations.id });
      return this.serve(serving, me, row.resume_ref);
    });
  }

  private serve(serving: string, me: symbol, resumeRef: string | null): { kind: 'claimed'; resumeRef: string | null } {
    // Inside the claiming transaction, so a concurrent repeat of this process, whose claim runs next, sees it.
    this.serving.set(serving, me);
    return { kind: 'claimed', resumeRef };
  }

  /** The key's row, as long as it is in flight and this process serves it. */
  private ownedBy(trx: Transaction, userId: number, key: string) {
    return trx('idempotency_keys').where({ user_id: userId, idempotency_key: key, state: 'IN_FLIGHT', owner: this.incarnations.id });
  }

  private async release(userId: number, key: string): Promise<void> {
    await this.db.transaction((trx) => this.ownedBy(trx, userId, key).update({ owner: null }));
  }

  private async storeIfOwned(userId: number, key: string, status: number, body: unknown): Promise<void> {
    await this.db.transaction((trx) => this.ownedBy(trx, userId, key).update(done(status, body)));
  }
}

function done(status: number, body: unknown): Record<string, unknown> {
  return { state: 'DONE', owner: null, response_status: status, response_body: JSON.stringify(body ?? null) };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
