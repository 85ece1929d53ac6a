import { expect } from 'chai';
import { inject, injectable } from 'inversify';
import type { EventHandler } from '../../src/platform/bus/subscription';
import { currentContext } from '../../src/platform/context/request-context';
import type { Logger } from '../../src/platform/logging/logger';
import { defineModule, on } from '../../src/platform/module/module-definition';
import { PLATFORM } from '../../src/platform/platform.di-tokens';
import { createTestApp, eventually, type TestApp } from '../support/test-app';
import { createAppWithProbe, type ProbeApp } from './ops-kit';

type Line = Record<string, unknown>;

describe('structured logs', () => {
  describe('request lines', () => {
    let app: TestApp;
    before(async () => {
      app = await createTestApp({ captureLogs: true });
    });
    after(() => app.stop());

    it('one line per request, with the correlation id, method, route template, status, duration and user', async () => {
      const email = 'logged@test.local';
      const signup = await app.http.post('/auth/signup').send({ email, password: 'password-123', name: 'Logged' }).expect(201);
      const login = await app.http.post('/auth/login').send({ email, password: 'password-123' }).expect(200);
      const res = await app.http.get('/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`).set('x-correlation-id', 'test-corr-1').expect(200);
      expect(res.headers['x-correlation-id']).to.equal('test-corr-1');

      await eventually(() => app.logs.some((l) => l.msg === 'request' && l.correlationId === 'test-corr-1'));
      const lines = app.logs.filter((l) => l.msg === 'request' && l.correlationId === 'test-corr-1');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ level: 'info', method: 'GET', route: '/auth/me', path: '/auth/me', status: 200, userId: signup.body.id });
      expect(lines[0].durationMs).to.be.a('number').and.at.least(0);
      expect(lines[0].time).to.be.a('string');
    });

    it('a failed request is logged with its status, and an unusable correlation id is replaced', async () => {
      const unsafe = 'evil\u0007id with spaces';
      const res = await app.http
        .get('/ticketing/nope/123')
        .set('x-correlation-id', `${encodeURIComponent(unsafe)}%`)
        .expect(404);
      const generated = res.headers['x-correlation-id'];
      expect(generated).to.match(/^[0-9a-f-]{36}$/);
      await eventually(() => app.logs.some((l) => l.msg === 'request' && l.correlationId === generated));
      expect(app.logs.find((l) => l.msg === 'request' && l.correlationId === generated)).to.include({ status: 404, route: 'unmatched', method: 'GET' });
    });

    it('no line carries a password or a token, even at debug level', async () => {
      const password = 'Sekrit-Pa55word-xyz';
      const email = 'secretive@test.local';
      await app.http.post('/auth/signup').send({ email, password, name: 'Secretive' }).expect(201);
      const login = await app.http.post('/auth/login').send({ email, password }).expect(200);
      const token: string = login.body.accessToken;
      await app.http
        .post('/auth/login')
        .send({ email, password: `${password}-wrong` })
        .expect(401);
      await app.http
        .post('/auth/signup')
        .send({ email: 'not-an-email', password: `${password}!`, name: 'x' })
        .expect(400);
      await app.http.get('/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
      await app.http.get('/auth/me').set('Authorization', `Bearer ${token}x`).expect(401);
      await app.platform.bus.drain();

      const raw = app.logs.map((l) => JSON.stringify(l));
      expect(raw.length).to.be.greaterThan(5);
      for (const line of raw) {
        expect(line).to.not.include(password);
        expect(line).to.not.include(token);
        // Nor the token's signature alone.
        expect(line).to.not.include(token.split('.')[2]);
      }
    });
  });

  describe('event handler lines', () => {
    let app: ProbeApp;
    const seen: Array<{ correlationId?: string; causationId?: string; eventId: string }> = [];
    let failuresLeft = 0;

    @injectable()
    class RecordingHandler implements EventHandler<'auth.user.registered'> {
      static readonly subscription = on('auth.user.registered', 'log-probe');
      constructor(@inject(PLATFORM.Logger) private readonly logger: Logger) {}
      async handle(event: Parameters<EventHandler<'auth.user.registered'>['handle']>[0]): Promise<void> {
        const ctx = currentContext();
        seen.push({ correlationId: ctx?.correlationId, causationId: ctx?.causationId, eventId: event.id });
        this.logger.info({ userId: event.payload.userId }, 'probe handling');
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('probe fails once');
        }
      }
    }
    before(async () => {
      const probeModule = defineModule({ name: 'data-platform', handlers: [RecordingHandler] });
      app = await createAppWithProbe(probeModule, { captureLogs: true, env: { BUS_RETRY_BASE_MS: '5' } });
      await app.platform.bus.drain();
    });
    after(() => app.stop());

    it('the handlers a request triggers log with the request’s correlation id', async () => {
      const res = await app.http
        .post('/auth/signup')
        .set('x-correlation-id', 'test-corr-1')
        .send({ email: 'chain@test.local', password: 'password-123', name: 'Chain' })
        .expect(201);
      // The probe's line (the notification module's copy of the user handles the same event).
      const isHandled = (l: Line) => l.msg === 'event handled' && l.correlationId === 'test-corr-1' && l.subscriber === 'data-platform.log-probe';
      await eventually(() => app.logs.some(isHandled), app.platform);

      const handled = app.logs.filter(isHandled);
      expect(handled).to.have.length(1);
      expect(handled[0]).to.include({ level: 'info', event: 'auth.user.registered', subscriber: 'data-platform.log-probe', outcome: 'handled' });
      const eventId = handled[0].eventId as string;
      expect(eventId).to.be.a('string');
      expect(app.logs.find((l) => l.msg === 'event handling' && l.eventId === eventId && l.subscriber === 'data-platform.log-probe')).to.include({
        correlationId: 'test-corr-1',
        attempt: 1,
        subscriber: 'data-platform.log-probe',
      });
      // What the handler itself logs carries the id too, without passing it around.
      expect(app.logs.find((l) => l.msg === 'probe handling' && l.userId === res.body.id)).to.include({ correlationId: 'test-corr-1' });
      expect(seen.find((s) => s.eventId === eventId)).to.deep.equal({ correlationId: 'test-corr-1', causationId: eventId, eventId });
      expect(app.logs.find((l) => l.msg === 'request' && l.correlationId === 'test-corr-1')).to.include({ route: '/auth/signup', status: 201 });
    });

    it('a failed attempt and its retry are logged with the attempt, outcome and the same correlation id', async () => {
      failuresLeft = 1;
      await app.http
        .post('/auth/signup')
        .set('x-correlation-id', 'test-corr-2')
        .send({ email: 'retry@test.local', password: 'password-123', name: 'Retry' })
        .expect(201);
      await eventually(
        () => app.logs.some((l) => l.msg === 'event handled' && l.correlationId === 'test-corr-2' && l.subscriber === 'data-platform.log-probe'),
        app.platform,
      );

      const mine = app.logs.filter((l) => l.correlationId === 'test-corr-2' && l.subscriber === 'data-platform.log-probe');
      expect(mine.find((l) => l.msg === 'event handler failed, will retry')).to.include({
        level: 'warn',
        event: 'auth.user.registered',
        attempt: 1,
        outcome: 'retry',
      });
      expect(mine.filter((l) => l.msg === 'event handling').map((l) => l.attempt)).to.deep.equal([1, 2]);
      expect(mine.filter((l) => l.msg === 'event handled')).to.have.length(1);
      // The error itself through pino's serializer: its type, message and stack, not a flattened string.
      const failed = mine.find((l) => l.msg === 'event handler failed, will retry')!;
      expect(failed.err).to.deep.include({ type: 'Error' });
      expect((failed.err as { message: string }).message)
        .to.be.a('string')
        .and.not.equal('');
      expect((failed.err as { stack: string }).stack).to.match(/\n\s+at /);
    });
  });
});
