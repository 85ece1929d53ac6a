import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { eventually, loginAdmin, queuePassFor, signupAndLogin, type TestApp, type TestUser } from '../support/test-app';

export interface Purchase {
  buyer: TestUser;
  reservationId: number;
  scheduleId: number;
  seatId: number;
  seatLabel: string;
}

let concerts = 0;

/** A concert with `seats` seats, created by the admin over HTTP (its catalogue reaches the other modules by events). */
export async function createConcert(
  app: TestApp,
  title = 'Notify Live',
  seats = 2,
  price = 30_000,
): Promise<{ scheduleId: number; seats: Array<{ id: number; label: string }> }> {
  concerts += 1;
  const admin = await loginAdmin(app.http);
  const res = await app.http
    .post('/admin/concerts')
    .set(admin.auth)
    .send({
      title,
      artist: 'The Notifiers',
      venue: 'Hall',
      schedules: [{ startsAt: '2031-03-01T10:00:00.000Z', seats: Array.from({ length: seats }, (_, i) => ({ label: `N${concerts}-${i + 1}`, price })) }],
    });
  if (res.status !== 201) throw new Error(`concert: ${res.status} ${JSON.stringify(res.body)}`);
  return { scheduleId: res.body.schedules[0].id, seats: res.body.schedules[0].seats };
}

/** A buyer (signed up with `locale`) holds a seat, charges and pays: the reservation ends CONFIRMED. */
export async function purchase(app: TestApp, options: { locale?: 'ko' | 'en'; title?: string; name?: string } = {}): Promise<Purchase> {
  const concert = await createConcert(app, options.title);
  const email = `buyer-${process.pid}-${Math.random().toString(36).slice(2, 10)}@test.local`;
  const signup = await app.http
    .post('/auth/signup')
    .send({ email, password: 'password-123', name: options.name ?? 'buyer', ...(options.locale ? { locale: options.locale } : {}) });
  if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${JSON.stringify(signup.body)}`);
  const login = await app.http.post('/auth/login').send({ email, password: 'password-123' });
  const buyer: TestUser = { id: signup.body.id, email, token: login.body.accessToken, auth: { Authorization: `Bearer ${login.body.accessToken}` } };
  const seat = concert.seats[0];
  const pass = queuePassFor(app.platform, buyer.id);
  let hold = await app.http.post('/ticketing/reservations/new').set(buyer.auth).set(pass).send({ scheduleId: concert.scheduleId, seatId: seat.id });
  for (let i = 0; i < 100 && hold.status === 404; i += 1) {
    await app.platform.bus.sweep();
    hold = await app.http.post('/ticketing/reservations/new').set(buyer.auth).set(pass).send({ scheduleId: concert.scheduleId, seatId: seat.id });
  }
  if (hold.status !== 201) throw new Error(`hold: ${hold.status} ${JSON.stringify(hold.body)}`);
  const charge = await app.http.post('/payments/charge').set(buyer.auth).send({ amount: 30_000 });
  if (charge.status !== 200) throw new Error(`charge: ${charge.status} ${JSON.stringify(charge.body)}`);
  const paid = await app.http.post('/payments/process').set(buyer.auth).set(pass).send({ reservationId: hold.body.id });
  if (paid.status !== 200) throw new Error(`pay: ${paid.status} ${JSON.stringify(paid.body)}`);
  await eventually(async () => (await app.http.get(`/ticketing/reservations/${hold.body.id}`).set(buyer.auth)).body.status === 'CONFIRMED', app.platform);
  return { buyer, reservationId: hold.body.id, scheduleId: concert.scheduleId, seatId: seat.id, seatLabel: seat.label };
}

export async function notificationsOf(app: TestApp, user: TestUser, query: Record<string, string | number> = {}) {
  const res = await app.http.get('/notifications').query(query).set(user.auth);
  if (res.status !== 200) throw new Error(`notifications: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { items: Array<Record<string, any>>; nextCursor?: string };
}

/** A user with the STAFF role granted by the admin, logged in again so that the token carries it. */
export async function staffUser(app: TestApp): Promise<TestUser> {
  const user = await signupAndLogin(app.http, 'door');
  const admin = await loginAdmin(app.http);
  const grant = await app.http.post(`/admin/users/${user.id}/roles`).set(admin.auth).send({ role: 'STAFF' });
  if (grant.status !== 200) throw new Error(`grant: ${grant.status} ${JSON.stringify(grant.body)}`);
  const login = await app.http.post('/auth/login').send({ email: user.email, password: 'password-123' });
  return { ...user, token: login.body.accessToken, auth: { Authorization: `Bearer ${login.body.accessToken}` } };
}

export interface CaughtMail {
  from: string;
  to: string[];
  raw: string;
}

/**
 * A real SMTP server on a local port (the `smtp-server` package) that keeps every message. With
 * `refusing` set it answers 421 (service not available) to every message, as a server that is
 * down for maintenance does; cleared, it takes them again.
 */
export class TestSmtp {
  readonly mails: CaughtMail[] = [];
  refusing = false;
  /** Answers 550 to every recipient: the message is refused for good. */
  rejectRecipients = false;
  attempts = 0;
  private readonly server: SMTPServer;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onMailFrom: (_address, _session, callback) => {
        this.attempts += 1;
        if (this.refusing) {
          const err = new Error('Service not available, try again later') as Error & { responseCode: number };
          err.responseCode = 421;
          return callback(err);
        }
        callback();
      },
      onRcptTo: (_address, _session, callback) => {
        if (!this.rejectRecipients) return callback();
        const err = new Error('No such user here') as Error & { responseCode: number };
        err.responseCode = 550;
        callback(err);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
  }

  static async start(): Promise<TestSmtp> {
    const smtp = new TestSmtp();
    await new Promise<void>((resolve) => smtp.server.listen(0, '127.0.0.1', resolve));
    return smtp;
  }

  get url(): string {
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  to(address: string): CaughtMail[] {
    return this.mails.filter((m) => m.to.includes(address));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The decoded text parts of a raw message (quoted-printable or base64, as nodemailer chose). */
export function decodedBody(raw: string): string {
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  return parts
    .map((part) => {
      const [head, ...rest] = part.split(/\r?\n\r?\n/);
      const body = rest.join('\n\n');
      if (/content-transfer-encoding:\s*base64/i.test(head) && /content-type:\s*text\//i.test(head))
        return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
      if (/content-transfer-encoding:\s*quoted-printable/i.test(head))
        return Buffer.from(
          body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
          'latin1',
        ).toString('utf8');
      return body;
    })
    .join('\n');
}
