import { expect } from 'chai';
import { decideAdmission } from '../../src/modules/notification/domain/admission';
import { afterSend, recipientUnknown } from '../../src/modules/notification/domain/email-delivery';
import { escapeHtml, renderMessage } from '../../src/modules/notification/domain/messages';
import type { NotificationFacts } from '../../src/modules/notification/domain/notification';
import { TicketCodes } from '../../src/platform/tickets/ticket-codes';

const facts: NotificationFacts = {
  concertTitle: 'Opening <Night>',
  artist: 'A & B',
  venue: "O'Hall",
  startsAt: '2031-05-01T10:00:00.000Z',
  seatLabel: 'R-"1"',
  amount: 1_234_000,
  ticketCode: null,
};

describe('notification domain', () => {
  it('escapes every HTML-special character', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\`</a>`)).to.equal('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#96;&#60;/a&#62;');
  });

  it('renders Korean and English with the facts; the HTML holds no user value unescaped', () => {
    const ko = renderMessage({ type: 'REFUNDED', locale: 'ko', reservationId: 9, reason: '<b>late</b>', facts });
    expect(ko.title).to.equal('결제가 환불되었습니다: Opening <Night> (A & B)');
    expect(ko.text).to.include('환불 금액: 1,234,000원').and.include('좌석: R-"1"').and.include('사유: <b>late</b>').and.include('2031년 5월 1일');
    const en = renderMessage({ type: 'CONFIRMED', locale: 'en', reservationId: 9, reason: null, facts: { ...facts, ticketCode: 'TKT1.x.y' } });
    expect(en.text).to.include('Amount: KRW 1,234,000').and.include('1 May 2031').and.include('E-ticket: TKT1.x.y');
    for (const html of [ko.html, en.html]) {
      expect(html).to.not.match(/<Night>|<b>|A & B|R-"1"|O'Hall/);
      expect(html).to.include('Opening &#60;Night&#62;');
    }
    expect(en.html).to.include('cid:ticket-qr');
    expect(ko.html).to.not.include('cid:ticket-qr');
  });

  it('fills what is not known yet with a dash rather than failing', () => {
    const m = renderMessage({
      type: 'EXPIRED',
      locale: 'en',
      reservationId: 3,
      reason: null,
      facts: { concertTitle: null, artist: null, venue: null, startsAt: null, seatLabel: null, amount: null, ticketCode: null },
    });
    expect(m.title).to.equal('Your seat hold expired');
    expect(m.text).to.include('Seat: -').and.include('Booking no.: 3');
  });

  it('retries an e-mail with backoff, fails it after the attempts or at once on a refusal', () => {
    const policy = { maxAttempts: 3, backoffMs: (n: number) => n * 1000 };
    expect(afterSend(1, 0, { kind: 'sent' }, 0, policy)).to.deep.equal({ id: 1, status: 'SENT' });
    expect(afterSend(1, 0, { kind: 'failed', retryable: true, error: 'x' }, 100, policy)).to.deep.include({
      status: 'PENDING',
      attempts: 1,
      nextAttemptAtMs: 1100,
    });
    expect(afterSend(1, 2, { kind: 'failed', retryable: true, error: 'x' }, 100, policy)).to.deep.include({ status: 'FAILED', attempts: 3 });
    expect(afterSend(1, 0, { kind: 'failed', retryable: false, error: '550' }, 100, policy)).to.deep.include({ status: 'FAILED', attempts: 1 });
    expect(recipientUnknown(1, 0, 0, 5000, 2000, 60_000)).to.deep.include({ status: 'PENDING', attempts: 0, nextAttemptAtMs: 7000 });
    expect(recipientUnknown(1, 0, 0, 60_000, 2000, 60_000)).to.deep.include({ status: 'FAILED' });
  });

  it('admits once, never a revoked ticket', () => {
    expect(decideAdmission(null, null)).to.deep.equal({ admit: true });
    expect(decideAdmission({ revokedAtMs: null }, null)).to.deep.equal({ admit: true });
    expect(decideAdmission({ revokedAtMs: null }, 5)).to.deep.equal({ admit: false, reason: 'ALREADY_USED', firstUsedAtMs: 5 });
    expect(decideAdmission({ revokedAtMs: 7 }, 5)).to.deep.equal({ admit: false, reason: 'REVOKED', revokedAtMs: 7 });
  });
});

describe('e-ticket codes', () => {
  const codes = new TicketCodes({ secret: 's'.repeat(40) });
  const claims = { reservationId: 12, scheduleId: 3, seatId: 45, holderId: 6 };

  it('verifies what it signed, and refuses any change, another key, or junk', () => {
    const code = codes.issue(claims);
    expect(codes.verify(code)).to.deep.equal(claims);
    expect(new TicketCodes({ secret: 't'.repeat(40) }).verify(code)).to.equal(null);
    const [p, body, sig] = code.split('.');
    const altered = Buffer.from(JSON.stringify({ r: 12, s: 3, t: 46, u: 6 })).toString('base64url');
    expect(codes.verify(`${p}.${altered}.${sig}`)).to.equal(null);
    expect(codes.verify(`${p}.${body}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`)).to.equal(null);
    expect(codes.verify(`TKT2.${body}.${sig}`)).to.equal(null);
    for (const junk of ['', 'TKT1..', `${code}x`, 'x'.repeat(10_000)]) expect(codes.verify(junk)).to.equal(null);
    // A well-signed body with bad claims is refused too.
    const sign = (b: string) => (codes as unknown as { sign(b: string): string }).sign(b);
    const zero = Buffer.from(JSON.stringify({ r: 0, s: 3, t: 45, u: 6 })).toString('base64url');
    expect(codes.verify(`TKT1.${zero}.${sign(zero)}`)).to.equal(null);
  });
});
