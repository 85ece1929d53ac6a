/** What a route handler answers: the platform renders it (JSON unless `contentType` says otherwise). */
export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sends `body` as-is with this type instead of JSON. */
  contentType?: string;
}
