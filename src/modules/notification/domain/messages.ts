import type { Locale, NotificationFacts, NotificationType, RenderedMessage } from './notification';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Phrases {
  titles: Record<NotificationType, string>;
  intro: Record<NotificationType, string>;
  concert: string;
  venue: string;
  when: string;
  seat: string;
  amount: string;
  refunded: string;
  reason: string;
  reservation: string;
  ticket: string;
  ticketHint: string;
  unknown: string;
  money(won: number): string;
  dateLocale: string;
}

const PHRASES: Record<Locale, Phrases> = {
  ko: {
    titles: {
      CONFIRMED: '예매가 확정되었습니다',
      CANCELLED: '예매가 취소되었습니다',
      EXPIRED: '좌석 선점 시간이 만료되었습니다',
      REFUNDED: '결제가 환불되었습니다',
      FAILED: '예매 확정에 실패했습니다',
    },
    intro: {
      CONFIRMED: '결제가 완료되어 예매가 확정되었습니다. 입장 시 아래 전자 티켓을 보여 주세요.',
      CANCELLED: '요청하신 예매가 취소되었습니다.',
      EXPIRED: '결제 시간이 지나 선점한 좌석이 해제되었습니다.',
      REFUNDED: '결제 금액이 포인트로 환불되었습니다.',
      FAILED: '결제는 되었지만 예매를 확정하지 못했습니다. 결제 금액은 환불됩니다.',
    },
    concert: '공연',
    venue: '장소',
    when: '일시',
    seat: '좌석',
    amount: '금액',
    refunded: '환불 금액',
    reason: '사유',
    reservation: '예매 번호',
    ticket: '전자 티켓',
    ticketHint: '입장 시 이 코드(또는 QR 코드)를 보여 주세요.',
    unknown: '-',
    money: (won) => `${won.toLocaleString('ko-KR')}원`,
    dateLocale: 'ko-KR',
  },
  en: {
    titles: {
      CONFIRMED: 'Your booking is confirmed',
      CANCELLED: 'Your booking was cancelled',
      EXPIRED: 'Your seat hold expired',
      REFUNDED: 'Your payment was refunded',
      FAILED: 'Your booking could not be confirmed',
    },
    intro: {
      CONFIRMED: 'Payment received: your booking is confirmed. Show the e-ticket below at the door.',
      CANCELLED: 'Your booking has been cancelled as you asked.',
      EXPIRED: 'The time to pay ran out, so the seat you held was released.',
      REFUNDED: 'The amount you paid has been refunded to your points.',
      FAILED: 'Your payment went through but the booking could not be confirmed. The amount will be refunded.',
    },
    concert: 'Concert',
    venue: 'Venue',
    when: 'When',
    seat: 'Seat',
    amount: 'Amount',
    refunded: 'Refunded',
    reason: 'Reason',
    reservation: 'Booking no.',
    ticket: 'E-ticket',
    ticketHint: 'Show this code (or its QR code) at the door.',
    unknown: '-',
    money: (won) => `KRW ${won.toLocaleString('en-US')}`,
    dateLocale: 'en-GB',
  },
};

/** A start time as people read it where the concerts play (Seoul). */
function formatWhen(iso: string, phrases: Phrases): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return new Intl.DateTimeFormat(phrases.dateLocale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'Asia/Seoul' }).format(ms);
}

export interface MessageInput {
  type: NotificationType;
  locale: Locale;
  reservationId: number;
  reason: string | null;
  facts: NotificationFacts;
}

/**
 * A notification in the user's language, as a title, plain text and HTML. Every value that
 * comes from a user or an operator (concert title, artist, venue, seat label, reason, code) is
 * escaped in the HTML; the plain text carries them as they are.
 */
export function renderMessage(input: MessageInput): RenderedMessage {
  const p = PHRASES[input.locale];
  const f = input.facts;
  const concert = f.concertTitle === null ? null : f.artist ? `${f.concertTitle} (${f.artist})` : f.concertTitle;
  const rows: Array<[string, string]> = [
    [p.concert, concert ?? p.unknown],
    [p.venue, f.venue ?? p.unknown],
    [p.when, f.startsAt === null ? p.unknown : formatWhen(f.startsAt, p)],
    [p.seat, f.seatLabel ?? p.unknown],
    [input.type === 'REFUNDED' ? p.refunded : p.amount, f.amount === null ? p.unknown : p.money(f.amount)],
    [p.reservation, String(input.reservationId)],
  ];
  if (input.reason !== null && (input.type === 'FAILED' || input.type === 'REFUNDED')) rows.push([p.reason, input.reason]);
  const title = concert ? `${p.titles[input.type]}: ${concert}` : p.titles[input.type];
  const textLines = [p.intro[input.type], '', ...rows.map(([k, v]) => `${k}: ${v}`)];
  if (f.ticketCode !== null) textLines.push('', `${p.ticket}: ${f.ticketCode}`, p.ticketHint);
  const htmlRows = rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  const ticketHtml =
    f.ticketCode === null
      ? ''
      : `<h2>${escapeHtml(p.ticket)}</h2><p><img src="cid:ticket-qr" alt="${escapeHtml(p.ticket)}" width="240" height="240"></p>` +
        `<p><code>${escapeHtml(f.ticketCode)}</code></p><p>${escapeHtml(p.ticketHint)}</p>`;
  const html =
    `<!doctype html><html lang="${input.locale}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(p.intro[input.type])}</p><table>${htmlRows}</table>${ticketHtml}</body></html>`;
  return { title, text: textLines.join('\n'), html };
}
