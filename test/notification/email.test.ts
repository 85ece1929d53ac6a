import { expect } from 'chai';
import type { ManualClock } from '../../src/platform/clock/clock';
import { createTestApp, eventually, type TestApp } from '../support/test-app';
import { decodedBody, notificationsOf, purchase, TestSmtp } from './notification-kit';

const JOB = 'send-emails';

describe('notifications: e-mail through SMTP_URL', function () {
  this.timeout(30_000);
  let app: TestApp;
  let smtp: TestSmtp;
  let clock: ManualClock;

  beforeEach(async () => {
    smtp = await TestSmtp.start();
    app = await createTestApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'Ticket Office <tickets@example.test>' } });
    clock = app.clock as ManualClock;
  });
  afterEach(async () => {
    await app.stop();
    await smtp.stop();
  });

  const metrics = async () => (await app.http.get('/metrics')).text;

  it('e-mails the confirmation from MAIL_FROM in the buyer’s language, as text and HTML with the QR code, user values escaped', async () => {
    const title = '<script>alert("x")</script> & Friends';
    const { buyer, reservationId } = await purchase(app, { locale: 'en', title });
    await eventually(async () => smtp.to(buyer.email).length === 1, app.platform);
    const [mail] = smtp.to(buyer.email);
    expect(mail.from).to.equal('tickets@example.test');
    expect(mail.raw).to.match(/^From: Ticket Office <tickets@example\.test>/m);
    expect(mail.raw).to.match(/^Subject: /m);
    expect(mail.raw).to.include('multipart/alternative').and.include('text/plain').and.include('text/html');
    expect(mail.raw).to.include('image/png').and.include('ticket-qr');
    const body = decodedBody(mail.raw);
    const code = (await app.http.get(`/ticketing/reservations/${reservationId}`).set(buyer.auth)).body.ticket.code as string;
    expect(body).to.include(code);
    expect(body).to.include('Your booking is confirmed');
    // The plain text carries the title as it is; the HTML only escaped.
    expect(body).to.include(`Concert: ${title} (The Notifiers)`);
    expect(body).to.include('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; Friends');
    expect(body).to.include('<!doctype html>');
    const html = body.slice(body.indexOf('<!doctype html>'));
    expect(html).to.include('<img src="cid:ticket-qr"');
    expect(html).to.not.include('<script>');
    await eventually(async () => /^notification_emails\{state="SENT"\} 1$/m.test(await metrics()), app.platform);
    expect(await metrics()).to.match(/^notification_emails\{state="PENDING"\} 0$/m);
  });

  it('a mail server that refuses neither fails nor slows purchases; e-mails wait, the circuit opens, and all go out once when it recovers', async () => {
    smtp.refusing = true;
    const buyers = [];
    for (let i = 0; i < 3; i += 1) buyers.push(await purchase(app, { locale: i % 2 ? 'ko' : 'en' }));
    // Every purchase is confirmed and notified in-app although no mail got through.
    for (const b of buyers) await eventually(async () => (await notificationsOf(app, b.buyer)).items.map((n) => n.type).join() === 'CONFIRMED', app.platform);
    await eventually(async () => smtp.attempts >= 3, app.platform);
    expect(smtp.mails).to.have.length(0);
    expect(await metrics()).to.match(/^notification_emails\{state="PENDING"\} 3$/m);
    // Retried with backoff until the circuit opens (5 failures, at least half failed).
    for (let i = 0; i < 4; i += 1) {
      clock.advance(61_000);
      await app.platform.runJob('notification', JOB);
    }
    expect(await metrics()).to.match(/^notification_mail_circuit_open 1$/m);
    const attemptsWhileOpen = smtp.attempts;
    await app.platform.runJob('notification', JOB);
    expect(smtp.attempts, 'nothing is sent while the circuit is open').to.equal(attemptsWhileOpen);
    expect(await metrics()).to.match(/^notification_mail_sends_total\{outcome="failed"\} [1-9]/m);

    smtp.refusing = false;
    clock.advance(61_000);
    await app.platform.runJob('notification', JOB);
    await eventually(async () => smtp.mails.length === 3, app.platform);
    for (const b of buyers) expect(smtp.to(b.buyer.email)).to.have.length(1);
    expect(await metrics()).to.match(/^notification_mail_circuit_open 0$/m);
    expect(await metrics()).to.match(/^notification_emails\{state="SENT"\} 3$/m);
    clock.advance(61_000);
    await app.platform.runJob('notification', JOB);
    expect(smtp.mails).to.have.length(3);
  });

  it('an e-mail the server refuses for good (5xx) is FAILED at once and counted', async () => {
    await app.stop();
    await smtp.stop();
    smtp = await TestSmtp.start();
    app = await createTestApp({ env: { SMTP_URL: smtp.url } });
    clock = app.clock as ManualClock;
    // Every recipient is refused with a 550.
    smtp.rejectRecipients = true;
    const { buyer } = await purchase(app);
    await eventually(async () => /^notification_emails\{state="FAILED"\} 1$/m.test(await metrics()), app.platform);
    expect(smtp.to(buyer.email)).to.have.length(0);
    expect(await metrics()).to.match(/^notification_mail_sends_total\{outcome="refused"\} 1$/m);
  });
});
