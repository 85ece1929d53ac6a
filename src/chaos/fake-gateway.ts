import http from 'node:http';
import type net from 'node:net';
import type { Prng } from './prng';
import type { GatewayMode } from './schedule';

/** What the fake gateway did with one attempt id: what the checker compares the ledger with. */
export interface GatewayCharge {
  attemptId: string;
  userId: number;
  amount: number;
  /** APPROVED: the gateway took the money. PENDING: still deciding (a slow phase). */
  state: 'APPROVED' | 'DECLINED' | 'PENDING';
  gatewayRef: string | null;
  /** POSTs of this attempt the gateway received (a retry of the same attempt charges nothing more). */
  posts: number;
}

/** Counts of what the fake answered, for the report. */
export interface GatewayCounts {
  approved: number;
  declined: number;
  answered503: number;
  heldPastTimeout: number;
  slow: number;
  statusCalls: number;
}

/**
 * A local stand-in for the external payment gateway, speaking the contract in the payment
 * module's CONTEXT.md (`POST /charges` deduplicated on the attempt id, `GET /charges/{id}`), whose
 * behaviour follows the fault schedule's gateway phase at the moment of each call. It records
 * every charge it took, so the checker can verify that each is credited exactly once.
 */
export class FakeGateway {
  readonly charges = new Map<string, GatewayCharge>();
  readonly counts: GatewayCounts = { approved: 0, declined: 0, answered503: 0, heldPastTimeout: 0, slow: 0, statusCalls: 0 };
  private readonly server = new LocalServer((req, res) => this.handle(req, res));
  private readonly decisions = new Map<string, Promise<void>>();
  private refs = 0;

  constructor(
    private readonly mode: () => GatewayMode,
    private readonly rng: Prng,
    /** The payment module's per-request timeout: "slow" and "held back" mean well past it. */
    private readonly clientTimeoutMs: number,
  ) {}

  listen(): Promise<string> {
    return this.server.listen();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const body = await readBody(req);
    const mode = this.mode();
    if (req.method === 'POST' && url.pathname === '/charges') return this.charge(JSON.parse(body || '{}'), mode, res);
    const m = /^\/charges\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) return this.status(decodeURIComponent(m[1]), mode, res);
    json(res, 404, { reason: 'no such route' });
  }

  private async charge(input: { attemptId?: string; userId?: number; amount?: number }, mode: GatewayMode, res: http.ServerResponse): Promise<void> {
    const { attemptId, userId, amount } = input;
    if (typeof attemptId !== 'string' || typeof userId !== 'number' || typeof amount !== 'number') return json(res, 400, { reason: 'bad request' });
    const known = this.charges.get(attemptId);
    if (known) {
      // A retry of an attempt it has: its outcome, nothing charged again.
      known.posts += 1;
      await this.decisions.get(attemptId);
      return this.answerCharge(res, known);
    }
    if (mode === 'error' && this.rng.chance(0.7)) {
      this.counts.answered503 += 1;
      return json(res, 503, { reason: 'gateway overloaded' });
    }
    const charge: GatewayCharge = { attemptId, userId, amount, state: 'PENDING', gatewayRef: null, posts: 1 };
    this.charges.set(attemptId, charge);
    if (mode === 'slow') {
      this.counts.slow += 1;
      const decided = sleep(this.clientTimeoutMs * this.rng.int(2, 4)).then(() => this.decide(charge, true));
      this.decisions.set(attemptId, decided);
      await decided;
      return this.answerCharge(res, charge);
    }
    this.decide(charge, !this.rng.chance(0.03));
    if (mode === 'charge-then-timeout' && this.rng.chance(0.7)) {
      this.counts.heldPastTimeout += 1;
      await sleep(this.clientTimeoutMs * 3);
    }
    this.answerCharge(res, charge);
  }

  private decide(charge: GatewayCharge, approve: boolean): void {
    if (approve) {
      charge.state = 'APPROVED';
      charge.gatewayRef = `fake-${++this.refs}`;
      this.counts.approved += 1;
    } else {
      charge.state = 'DECLINED';
      this.counts.declined += 1;
    }
  }

  private answerCharge(res: http.ServerResponse, charge: GatewayCharge): void {
    if (charge.state === 'APPROVED') json(res, 200, { approved: true, gatewayRef: charge.gatewayRef });
    else json(res, 402, { approved: false, reason: 'card declined (chaos)' });
  }

  private status(attemptId: string, mode: GatewayMode, res: http.ServerResponse): void {
    this.counts.statusCalls += 1;
    const charge = this.charges.get(attemptId);
    if (mode === 'error' && this.rng.chance(0.5)) json(res, 503, { reason: 'gateway overloaded' });
    else if (!charge) json(res, 404, { reason: 'unknown attempt' });
    else if (charge.state === 'APPROVED') json(res, 200, { status: 'APPROVED', gatewayRef: charge.gatewayRef });
    else if (charge.state === 'DECLINED') json(res, 200, { status: 'DECLINED', reason: 'card declined (chaos)' });
    else json(res, 200, { status: 'PENDING' });
  }
}

/** An HTTP server on a free port of 127.0.0.1 whose close also ends the requests it never answered (a hung sink's). */
export class LocalServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) {
    this.server = http.createServer((req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  /** Listens; the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
