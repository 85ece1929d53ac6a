import { randomBytes, randomUUID } from 'node:crypto';
import { inject, injectable } from 'inversify';
import { Redis } from 'ioredis';
import type { QueuePasses } from '../../../../platform/auth/queue-pass';
import type { Clock } from '../../../../platform/clock/clock';
import type { ModuleDatabase, Transaction } from '../../../../platform/db/module-database';
import type { Logger } from '../../../../platform/logging/logger';
import { PLATFORM } from '../../../../platform/platform.di-tokens';
import { effectiveFlow, estimatedWaitSeconds, idleCutoffMs, MAX_POLL_SECONDS, nextOverrides, POLL_TOLERANCE, passExpiryMs } from '../../domain/admission-rules';
import { activeView, endedView, oldestWaitSeconds, type QueueOverview, type TicketView } from '../../domain/views';
import { QueueErrors } from '../../queue.errors';
import type { QueueSettings } from '../../queue.settings';
import { QUEUE_ROOM, type RoomScope } from '../../queue-room';
import type { FlowPatch, JoinOutcome, QueueStore } from '../../queue-store';
import { PassRevocations } from '../pass-revocations';
import { QueueRepository, type TokenRow } from '../queue.repository';
import { RunSoon } from '../run-soon';
import { KEY_NAMES, QUEUE_SCRIPTS, type QueueScriptName, scriptSource } from './queue-scripts';

/** A pending token older than this was left by a replica that stopped between its decision and its write: the leader settles it. */
const PENDING_GRACE_MS = 5000;
/** After a rebuild, new arrival numbers start this far past the largest stored seq (joins in flight during the loss hold some). */
const SEQ_MARGIN = 10_000;
/** Tokens placed per script call during a rebuild, and drops per cycle. */
const LOAD_CHUNK = 1000;
const DUE_LIMIT = 1000;
/**
 * The most admissions reserved, written and confirmed in one cycle. Unbounded, lifting the cap
 * over 100 000 waiting reserved them all in one script and confirmed them in one call of 200 000
 * arguments, which overflowed the stack: the reservations stayed pending, each later settled alone.
 */
const ADMIT_BATCH = 1000;
/** A join or a poll that finds the user's join still being recorded asks again this often, this many times. */
const PENDING_RETRY_MS = 5;
const PENDING_RETRIES = 200;
/** The leader re-reads the operator's flow from the database this often (a replica may have stopped between its write and Redis). */
const FLOW_REFRESH_MS = 5000;
const PASS_CACHE_MAX = 50_000;

type ScriptAnswer = Record<string, unknown> & { e?: string; r?: string };
/** A join the join script decided, to be written to the database. */
interface JoinToRecord {
  seq: number;
  token: string;
  userId: number;
  now: number;
  active: boolean;
  expiresAtMs: number | null;
  prevSeq: number | null;
  prevReason: 'IDLE' | 'PASS_EXPIRED';
}
interface View {
  token: string;
  st: 'W' | 'A';
  pos: number;
  wait: number;
  pollAfter: number;
  exp: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** cjson writes an empty array as `{}`. */
const list = (x: unknown): number[] => (Array.isArray(x) ? (x as number[]) : []);

/**
 * The live state in Redis, shared by every replica of the queue service (ADR 0011). Each decision
 * is one script (`queue-scripts.ts`); the module database stays the record, and is written so that
 * nobody is ever told more than it holds:
 * - join: the script decides (one live token per user, the arrival number, in at once or not) and
 *   marks the token pending; the row is inserted; the script confirms it; then the user is told.
 * - admission: the script reserves the head within both limits; the activation is written; the
 *   script confirms; a pass is shown only after that.
 * - leave, completion, expiry and idle drops: the database ends the token first (guarded by its
 *   status, so once), then the script forgets it.
 * A replica stopping between the two leaves a pending token that the leader settles from the
 * database, or a token the database has ended that the next cycle forgets. A lost Redis state (the
 * marker key is gone) is rebuilt from the database by one replica under a lock, while the others'
 * scripts refuse and wait.
 */
@injectable()
export class RedisQueueStore implements QueueStore {
  private readonly redis: Redis;
  private readonly keys: string[];
  private readonly lockKey: string;
  private readonly passes = new Map<string, { expiresAtMs: number; pass: string }>();
  private rebuilding: Promise<void> | null = null;
  private cycling: Promise<void> | null = null;
  private readonly soon = new RunSoon(
    () => this.runCycle(),
    (err) => this.logger.debug({ err }, 'queue admission kick failed'),
  );
  private flowReadAtMs = 0;
  private lastCounts = { waiting: 0, active: 0 };
  private readonly toRecord: Array<{ plan: JoinToRecord; resolve: (o: JoinOutcome | null) => void; reject: (err: unknown) => void }> = [];
  private recording = false;

  constructor(
    @inject(PLATFORM.Settings) private readonly settings: QueueSettings,
    @inject(PLATFORM.Database) private readonly db: ModuleDatabase,
    @inject(PLATFORM.Clock) private readonly clock: Clock,
    @inject(PLATFORM.Logger) private readonly logger: Logger,
    @inject(PLATFORM.QueuePasses) private readonly passIssuer: QueuePasses,
    @inject(PassRevocations) private readonly revocations: PassRevocations,
    @inject(QueueRepository) private readonly repo: QueueRepository,
    @inject(QUEUE_ROOM) private readonly room: RoomScope,
  ) {
    if (settings.store.kind !== 'redis') throw new Error('RedisQueueStore needs QUEUE_STORE=redis');
    // A room's keys under its own name (same hash tag); the arrival counter is shared by every
    // room, since a seq is the key of its row whatever the room (ADR 0012).
    const base = settings.store.keyPrefix;
    const prefix = room.roomId === 0 ? base : `${base}room:${room.roomId}:`;
    this.keys = KEY_NAMES.map((k) => (k === 'seq' ? `${base}${k}` : `${prefix}${k}`));
    this.lockKey = `${prefix}rebuild-lock`;
    this.redis = new Redis(settings.store.url, { maxRetriesPerRequest: 3, connectTimeout: 5000, lazyConnect: true });
    this.redis.on('error', (err) => this.logger.warn({ err: err.message }, 'queue: redis connection error'));
    for (const name of Object.keys(QUEUE_SCRIPTS) as QueueScriptName[])
      this.redis.defineCommand(name, { numberOfKeys: KEY_NAMES.length, lua: scriptSource(name) });
  }

  async restore(): Promise<void> {
    await this.redis.connect().catch((err: Error) => {
      throw new Error(`queue: Redis at ${this.settings.store.kind === 'redis' ? this.settings.store.url : ''} is unreachable (${err.message})`);
    });
    await this.ensureState();
  }

  async close(): Promise<void> {
    await this.cycling?.catch(() => undefined);
    this.redis.disconnect();
  }

  /**
   * A closed room's keys are deleted (each replica does it as it lets the room go, so a replica
   * that touched them last cleans up after itself). The arrival counter is every room's: kept.
   * The default room is never closed.
   */
  async discard(): Promise<void> {
    await this.cycling?.catch(() => undefined);
    if (this.room.roomId !== 0) {
      const own = this.keys.filter((_, i) => KEY_NAMES[i] !== 'seq');
      await this.redis
        .del(...own, this.lockKey)
        .catch((err: Error) => this.logger.warn({ err: err.message, roomId: this.room.roomId }, 'queue: a closed room’s Redis keys could not be deleted'));
    }
    this.redis.disconnect();
  }

  async counts(): Promise<{ waiting: number; active: number }> {
    return this.lastCounts;
  }

  async join(userId: number, presetToken?: string): Promise<JoinOutcome> {
    const { waitingIdleSeconds: idle, activeTtlSeconds: ttl } = this.settings;
    for (let attempt = 0; ; attempt++) {
      const now = this.clock.now();
      const token = presetToken ?? randomBytes(32).toString('base64url');
      const r = await this.call('qJoin', [userId, now, token, idle, ttl, MAX_POLL_SECONDS, passExpiryMs(now, ttl)]);
      if (r.r === 'existing') return { view: this.toView(r as unknown as View, userId, now), created: false };
      if (r.r === 'pending') {
        // Another request of this user (on any replica) is being recorded: its answer is this one's.
        if (attempt < PENDING_RETRIES) {
          await sleep(PENDING_RETRY_MS);
          continue;
        }
        // Still pending after a second: the replica that decided it stopped. The database says
        // what became of it: a recorded row is this user's token; none, and the decision is dropped.
        const row = await this.repo.findLiveByUser(this.db.direct, userId);
        if (row) return { view: await this.settleRow(row, now), created: false };
        await this.call('qForget', [r.seq as number]);
        continue;
      }
      const plan: JoinToRecord = {
        seq: r.seq as number,
        token,
        userId,
        now,
        active: r.st === 'A',
        expiresAtMs: r.st === 'A' ? (r.exp as number) : null,
        prevSeq: typeof r.prevSeq === 'number' ? r.prevSeq : null,
        prevReason: r.prevSt === 'W' ? 'IDLE' : 'PASS_EXPIRED',
      };
      const outcome = await this.record(plan);
      if (outcome) return outcome;
    }
  }

  /**
   * Joins decided together are written in one transaction (one at a time in this process): a
   * rush's joins would otherwise each take a pooled connection and starve everything else.
   * Resolves with the answer, or null when the database refused the row and the join is to be
   * decided again.
   */
  private record(plan: JoinToRecord): Promise<JoinOutcome | null> {
    return new Promise((resolve, reject) => {
      this.toRecord.push({ plan, resolve, reject });
      if (this.recording) return;
      this.recording = true;
      setImmediate(() => void this.recordBatches());
    });
  }

  private async recordBatches(): Promise<void> {
    while (this.toRecord.length > 0) {
      const batch = this.toRecord.splice(0);
      try {
        const inserted = await this.db.transaction(async (trx) => {
          const seqs: Array<number | null> = [];
          for (const { plan: p } of batch) {
            if (p.prevSeq !== null) await this.repo.end(trx, [p.prevSeq], 'LIVE', 'EXPIRED', p.prevReason, p.now);
            const status = p.active ? 'ACTIVE' : 'WAITING';
            seqs.push(
              await this.repo.insertLive(trx, { seq: p.seq, token: p.token, userId: p.userId, status, createdAtMs: p.now, expiresAtMs: p.expiresAtMs }),
            );
          }
          return seqs;
        });
        await Promise.all(batch.map((b, i) => this.settleJoin(b.plan, inserted[i] !== null).then(b.resolve, b.reject)));
      } catch (err) {
        // Nothing of the batch was written: the decisions are dropped and every joiner hears of it.
        await this.call(
          'qForget',
          batch.map((b) => b.plan.seq),
        ).catch(() => undefined);
        for (const b of batch) b.reject(err);
      }
    }
    this.recording = false;
  }

  private async settleJoin(p: JoinToRecord, inserted: boolean): Promise<JoinOutcome | null> {
    if (!inserted) {
      // The database holds a live token of this user that Redis does not know (left by a stopped
      // replica, or missed by a rebuild): the record wins, and the user keeps that place.
      await this.call('qForget', [p.seq]);
      const row = await this.repo.findLiveByUser(this.db.direct, p.userId);
      return row ? { view: await this.settleRow(row, p.now), created: false } : null;
    }
    const v = await this.call('qSettle', this.settleArgs(p.seq, p.token, p.userId, p.active ? 'A' : 'W', p.now, p.expiresAtMs, p.now, p.prevSeq, true));
    return { view: this.toView(v as unknown as View, p.userId, p.now), created: true };
  }

  async status(userId: number, token: string): Promise<TicketView> {
    const s = this.settings;
    for (let attempt = 0; ; attempt++) {
      const now = this.clock.now();
      const r = await this.call('qStatus', [
        token,
        userId,
        now,
        s.waitingIdleSeconds,
        s.activeTtlSeconds,
        s.pollThrottle ? 1 : 0,
        MAX_POLL_SECONDS,
        POLL_TOLERANCE,
      ]);
      switch (r.r) {
        case 'ok':
          return this.toView(r as unknown as View, userId, now);
        case 'notmine':
          throw QueueErrors.tokenNotFound();
        case 'over':
          this.kick();
          return endedView(token, 'EXPIRED');
        case 'throttled':
          throw QueueErrors.pollingTooFast(r.retry as number, r.advised as number);
        case 'pending':
          if (attempt < PENDING_RETRIES) {
            await sleep(PENDING_RETRY_MS);
            continue;
          }
          return this.statusFromDatabase(userId, token, now);
        default:
          return this.statusFromDatabase(userId, token, now);
      }
    }
  }

  async leave(userId: number, token: string): Promise<void> {
    const row = await this.repo.findByToken(this.db.direct, token);
    if (!row || row.user_id !== userId) throw QueueErrors.tokenNotFound();
    if (row.status === 'WAITING' || row.status === 'ACTIVE') {
      const now = this.clock.now();
      await this.db.transaction(async (trx) => {
        const ended = await this.repo.endLive(trx, row.seq, 'LEFT', now);
        // A slot given back must not keep shopping: its pass stops working everywhere.
        if (ended.wasActive && ended.expiresAtMs !== null) await this.revocations.publish(trx, token, userId, 'LEFT', ended.expiresAtMs);
      });
    }
    const { freed } = await this.call('qForget', [row.seq]);
    if ((freed as number) > 0) this.kick();
  }

  async completeVisit(userId: number, trx: Transaction): Promise<void> {
    const seqs = await this.revocations.completeVisit(trx, userId, this.clock.now());
    // Also after a rollback (or an attempt PostgreSQL runs again): Redis follows what the database says.
    if (seqs.length > 0) this.db.afterTransaction(trx, () => void this.forgetEnded(seqs));
  }

  /** One cycle at a time in this process (the timer and the kicks); concurrent cycles on other replicas are safe (every step is guarded). */
  runCycle(): Promise<void> {
    this.cycling ??= this.cycle().finally(() => {
      this.cycling = null;
    });
    return this.cycling;
  }

  async overview(): Promise<QueueOverview> {
    const now = this.clock.now();
    const o = await this.call('qOverview', [now, this.settings.activeTtlSeconds]);
    this.lastCounts = { waiting: o.waiting as number, active: o.active as number };
    return {
      waiting: o.waiting as number,
      active: o.active as number,
      maxActive: o.maxActive as number,
      admitPerSecond: o.admitPerSecond as number,
      admissionsPerMinute: o.admissionsPerMinute as number,
      oldestWaitSeconds: oldestWaitSeconds((o.oldestCreated as number) < 0 ? null : (o.oldestCreated as number), now),
      estimatedAdmissionsPerSecond: Math.round((o.rate as number) * 100) / 100,
      lastInLineWaitSeconds: (o.waiting as number) === 0 ? 0 : estimatedWaitSeconds(o.waiting as number, o.rate as number),
      activeTtlSeconds: this.settings.activeTtlSeconds,
      waitingIdleSeconds: this.settings.waitingIdleSeconds,
      defaults: { maxActive: this.settings.maxActive, admitPerSecond: this.settings.admitPerSecond },
    };
  }

  async updateFlow(patch: FlowPatch): Promise<QueueOverview> {
    const next = await this.db.transaction(async (trx) => {
      const overrides = nextOverrides(await this.repo.loadSettings(trx), patch);
      await this.repo.saveSettings(trx, overrides, this.clock.now());
      return overrides;
    });
    const flow = effectiveFlow(this.settings, next);
    await this.call('qSetFlow', [flow.maxActive, flow.admitPerSecond]);
    this.kick();
    return this.overview();
  }

  /** Runs a cycle soon, so a freed slot goes to the next user without waiting for the leader's timer. */
  private kick(): void {
    this.soon.request();
  }

  private async cycle(): Promise<void> {
    const now = this.clock.now();
    const { activeTtlSeconds: ttl, waitingIdleSeconds: idle } = this.settings;
    if (now - this.flowReadAtMs >= FLOW_REFRESH_MS) {
      const flow = effectiveFlow(this.settings, await this.repo.loadSettings(this.db.direct));
      await this.call('qSetFlow', [flow.maxActive, flow.admitPerSecond]);
      this.flowReadAtMs = now;
    }
    await this.settlePending(now);
    const due = await this.call('qDue', [now, idleCutoffMs(now, idle), DUE_LIMIT]);
    const expired = list(due.expired);
    const idleSeqs = list(due.idle);
    if (expired.length > 0 || idleSeqs.length > 0) {
      await this.db.transaction(async (trx) => {
        await this.repo.end(trx, expired, 'ACTIVE', 'EXPIRED', 'PASS_EXPIRED', now);
        await this.repo.end(trx, idleSeqs, 'WAITING', 'EXPIRED', 'IDLE', now);
      });
      // Ended now, or already ended by a leave or a purchase: gone from the live state either way.
      await this.call('qForget', [...expired, ...idleSeqs]);
    }
    const expiresAtMs = passExpiryMs(now, ttl);
    const reserved = await this.call('qReserve', [now, expiresAtMs, ADMIT_BATCH]);
    const seqs = list(reserved.seqs);
    this.lastCounts = { waiting: reserved.waiting as number, active: reserved.active as number };
    if (seqs.length === 0) return;
    const admitted = new Set(await this.db.transaction((trx) => this.repo.activateSeqs(trx, seqs, now, expiresAtMs)));
    await this.call(
      'qAdmitted',
      seqs.flatMap((seq) => [seq, admitted.has(seq) ? 1 : 0]),
    );
    // A full batch: the flow may allow more at once (a lifted cap, a high rate); the next cycle follows at once.
    if (seqs.length === ADMIT_BATCH) this.kick();
  }

  /** Pending tokens a stopped replica left: each settled from what the database says (the record wins). */
  private async settlePending(now: number): Promise<void> {
    const { items } = await this.call('qPendingDue', [now - PENDING_GRACE_MS, 100]);
    const pending = Array.isArray(items) ? (items as Array<{ seq: number; st: string; exp: number; since: number }>) : [];
    if (pending.length === 0) return;
    const rows = new Map(
      (
        await this.repo.findBySeqs(
          this.db.direct,
          pending.map((p) => p.seq),
        )
      ).map((r) => [r.seq, r]),
    );
    for (const p of pending) {
      const row = rows.get(p.seq);
      const live = row && (row.status === 'WAITING' || row.status === 'ACTIVE');
      if (p.st === 'AD') {
        // Roll the reservation forward when the token still waits in the database; drop it when it ended.
        let ok = row?.status === 'ACTIVE';
        if (row?.status === 'WAITING') ok = (await this.db.transaction((trx) => this.repo.activateSeqs(trx, [p.seq], p.since, p.exp))).length > 0;
        await this.call('qAdmitted', [p.seq, ok ? 1 : 0]);
      } else if (live && row) await this.call('qSettle', this.rowSettleArgs(row, now, false));
      else await this.call('qForget', [p.seq]);
    }
    this.logger.warn({ settled: pending.length }, 'queue: settled pending tokens a replica left behind');
  }

  /** A token the database holds live but Redis does not (or still pending): placed from the record. */
  private async statusFromDatabase(userId: number, token: string, now: number): Promise<TicketView> {
    const row = await this.repo.findByToken(this.db.direct, token);
    if (!row || row.user_id !== userId) throw QueueErrors.tokenNotFound();
    if (row.status === 'EXPIRED' || row.status === 'COMPLETED') return endedView(token, row.status);
    return this.settleRow(row, now);
  }

  /** Places a row the database holds live, and answers as a poll would. */
  private async settleRow(row: TokenRow, now: number): Promise<TicketView> {
    const v = await this.call('qSettle', this.rowSettleArgs(row, now, true));
    return this.toView(v as unknown as View, row.user_id, now);
  }

  private rowSettleArgs(row: TokenRow, now: number, answer: boolean): Array<string | number> {
    return this.settleArgs(row.seq, row.token, row.user_id, row.status === 'ACTIVE' ? 'A' : 'W', row.created_at_ms, row.expires_at_ms, now, null, answer);
  }

  private settleArgs(
    seq: number,
    token: string,
    userId: number,
    st: 'W' | 'A',
    createdAtMs: number,
    expiresAtMs: number | null,
    now: number,
    prevSeq: number | null,
    answer: boolean,
  ): Array<string | number> {
    const s = this.settings;
    return [
      seq,
      token,
      userId,
      st,
      createdAtMs,
      expiresAtMs ?? -1,
      now,
      prevSeq ?? '',
      s.waitingIdleSeconds,
      s.activeTtlSeconds,
      MAX_POLL_SECONDS,
      answer ? 1 : 0,
    ];
  }

  /** After the completing transaction: forget the tokens the database says have ended. */
  private async forgetEnded(seqs: number[]): Promise<void> {
    try {
      const ended = (await this.repo.findBySeqs(this.db.direct, seqs)).filter((r) => r.status !== 'WAITING' && r.status !== 'ACTIVE').map((r) => r.seq);
      if (ended.length === 0) return;
      const { freed } = await this.call('qForget', ended);
      if ((freed as number) > 0) this.kick();
    } catch (err) {
      // The pass expiry still frees the slot; the next cycle drops the token.
      this.logger.warn({ err }, 'queue: forgetting completed tokens in redis failed');
    }
  }

  private toView(v: View, userId: number, now: number): TicketView {
    if (v.st === 'A') return activeView(v.token, this.passOf(userId, v.token, v.exp), v.exp, now);
    return { token: v.token, status: 'WAITING', position: v.pos, estimatedWaitSeconds: v.wait, pollAfterSeconds: v.pollAfter };
  }

  /** Passes are stateless and signed: each replica mints its own, once per admission (a poll signs nothing twice). */
  private passOf(userId: number, token: string, expiresAtMs: number): string {
    const known = this.passes.get(token);
    if (known && known.expiresAtMs === expiresAtMs) return known.pass;
    const pass = this.passIssuer.issue(userId, token, expiresAtMs, this.room.concertId);
    if (this.passes.size >= PASS_CACHE_MAX) this.passes.delete(this.passes.keys().next().value as string);
    this.passes.set(token, { expiresAtMs, pass });
    return pass;
  }

  /** Runs a script; when the state is missing (flushed, Redis restarted), rebuilds it from the database and asks again. */
  private async call(name: QueueScriptName, args: Array<string | number>): Promise<ScriptAnswer> {
    for (let attempt = 0; ; attempt++) {
      const raw = (await (this.redis as unknown as Record<string, (...a: Array<string | number>) => Promise<string>>)[name](...this.keys, ...args)) as string;
      const answer = JSON.parse(raw) as ScriptAnswer;
      if (answer.e !== 'NOSTATE') return answer;
      if (attempt >= 3) throw new Error('queue: the Redis state is missing and could not be rebuilt');
      this.logger.warn({ script: name }, 'queue: the Redis state is missing; rebuilding it from the database');
      await this.ensureState();
    }
  }

  private ensureState(): Promise<void> {
    this.rebuilding ??= this.rebuild().finally(() => {
      this.rebuilding = null;
    });
    return this.rebuilding;
  }

  /** One replica rebuilds (under a lock that expires if it dies); the others wait for the marker. */
  private async rebuild(): Promise<void> {
    const [ready] = this.keys;
    const me = randomUUID();
    for (;;) {
      if ((await this.redis.exists(ready)) === 1) return;
      if ((await this.redis.set(this.lockKey, me, 'PX', 60_000, 'NX')) === 'OK') break;
      await sleep(50);
    }
    try {
      if ((await this.redis.exists(ready)) === 1) return;
      const now = this.clock.now();
      await this.redis.del(...this.keys.slice(1, KEY_NAMES.indexOf('seq')), this.keys[KEY_NAMES.indexOf('pending')]);
      const overrides = await this.repo.loadSettings(this.db.direct);
      const flow = effectiveFlow(this.settings, overrides);
      const { waiting, active } = await this.repo.loadLive(this.db.direct);
      // Active tokens first, then the waiting ones in arrival order; nobody could poll meanwhile, so idle time counts from now.
      const rows = [...active, ...waiting];
      for (let i = 0; i < rows.length; i += LOAD_CHUNK) {
        const args: Array<string | number> = [now];
        for (const r of rows.slice(i, i + LOAD_CHUNK))
          args.push(r.seq, r.token, r.user_id, r.status === 'ACTIVE' ? 'A' : 'W', r.created_at_ms, r.expires_at_ms ?? -1);
        await this.call('qLoad', args);
      }
      const admissions = await this.repo.admissionsSince(this.db.direct, now - 60_000);
      const seqFloor = (await this.repo.maxSeq(this.db.direct)) + SEQ_MARGIN;
      await this.call('qFinishLoad', [now, flow.maxActive, flow.admitPerSecond, seqFloor, me, ...admissions.flatMap((a) => [a.seq, a.activatedAtMs])]);
      this.flowReadAtMs = now;
      this.lastCounts = { waiting: waiting.length, active: active.length };
      this.logger.info({ waiting: waiting.length, active: active.length }, 'queue: redis state rebuilt from the database');
    } finally {
      if ((await this.redis.get(this.lockKey)) === me) await this.redis.del(this.lockKey);
    }
  }
}
