/**
 * The console's only way to the server: the same admin API any client uses. The access token lives
 * in this module's memory only (never localStorage or a cookie): a reload logs out. Every call is
 * authorised by the API; a refusal comes back as an ApiError carrying the API's problem.
 */
let accessToken: string | null = null;
let onUnauthorized: () => void = () => {};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

export function setToken(token: string | null): void {
  accessToken = token;
}

/** Called when the API answers 401 (the token expired): the app goes back to the login form. */
export function whenUnauthorized(callback: () => void): void {
  onUnauthorized = callback;
}

async function problemOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { code?: string; detail?: string; title?: string };
    return new ApiError(res.status, body.code ?? 'ERROR', body.detail ?? body.title ?? text);
  } catch {
    return new ApiError(res.status, 'ERROR', text || res.statusText);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  if (!res.ok) {
    const error = await problemOf(res);
    if (res.status === 401 && accessToken) onUnauthorized();
    throw error;
  }
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** The Prometheus text of `/metrics` (monolith) or `/metrics/<service>` (the gateway, split mode). */
export async function metricsText(path: string): Promise<string> {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw await problemOf(res);
  return res.text();
}

/** The sum of a counter's samples whose labels include `labels` (e.g. every status of one route). */
export function sumSamples(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(name.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) total += Number(line.slice(close + 1).trim());
  }
  return total;
}

/** What `GET /admin/queue` answers: the queue module's own declaration (a type only: nothing of the server is bundled). */
export type { QueueOverview } from '../../src/modules/queue/domain/views';

export interface ServiceItem {
  name: string;
  module: string;
  url: string;
  pid: number | null;
  status: string;
  restarts: number;
  uptimeSeconds: number | null;
  lastError: string | null;
  consumerLag: { pending: number; ackPending: number } | null;
}

/** Per module, what `GET /admin/events` answers: the bus's own declaration (a type only). */
export type { ModuleBusStats as BusStats } from '../../src/platform/bus/event-bus';

/** The fields of a dead letter (`GET /admin/events/dead`) the console shows. */
export interface DeadLetter {
  id: string;
  subscriber: string;
  type: string;
  aggregateId: string;
  attempts: number;
  error: string | null;
  receivedAt: string;
}

export interface Concert {
  id: number;
  title: string;
  artist: string;
  venue: string;
}

export interface Schedule {
  id: number;
  concertId: number;
  startsAt: string;
  totalSeats: number;
  availableSeats: number;
}

export interface Seat {
  id: number;
  label: string;
  price: number;
  status: 'AVAILABLE' | 'HELD' | 'SOLD';
}

export interface FeedItem {
  reservationId: number;
  concertTitle: string | null;
  scheduleId: number;
  seatLabel: string;
  amount: number;
  confirmedAt: string;
  status: string;
  delivery: string;
}

/** The fields of a feed page (`GET /data-platform/reservations`) the console uses. */
export interface FeedPage {
  items: FeedItem[];
  total: number;
  summary: { count: number; revenue: number };
}

/** The split topology's gateway answers `/admin/services`; the monolith has no such route (404). */
export async function services(): Promise<ServiceItem[] | null> {
  try {
    return (await api<{ items: ServiceItem[] }>('GET', '/admin/services')).items;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export const won = (amount: number): string => `₩${amount.toLocaleString('en-US')}`;

/** A concert's own waiting room, as `/admin/queue/rooms` answers it (the queue module's declaration, a type only). */
export type { RoomView } from '../../src/modules/queue/domain/room-view';
