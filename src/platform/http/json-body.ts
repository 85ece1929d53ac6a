import type { Request } from 'express';
import getRawBody from 'raw-body';
import { AppError, errors } from './app-error';

/**
 * What one route accepts as a JSON body. Bytes bound what is read; values and depth bound what
 * parsing may build, since a parsed value costs far more memory than its text (a megabyte of
 * `{},` is 350 000 objects, about 21 MB of heap).
 */
export interface JsonBodyLimits {
  maxBytes: number;
  /** Containers plus separators (`{`, `[`, `,`): a close upper bound of the values the body holds. */
  maxValues: number;
  maxDepth: number;
}

export const DEFAULT_MAX_JSON_VALUES = 1_000;
export const DEFAULT_MAX_JSON_DEPTH = 16;

/** Bodies above this size are read and parsed a few at a time, so many at once cannot fill the heap. */
const LARGE_BODY_BYTES = 256 * 1024;
const LARGE_BODIES_AT_ONCE = 2;

export const payloadTooLarge = (maxBytes: number) =>
  new AppError(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', `The request body is larger than this route accepts (${maxBytes} bytes).`, { maxBytes });

const malformed = () => errors.validation([{ field: 'body', message: 'Malformed JSON' }], 'The request body is not valid JSON.');

/**
 * Reads the request body and parses it as JSON, within the route's limits: a declared length
 * over the limit is refused before a byte is read, and the text is measured before it is parsed.
 * No body (or an empty one) is `undefined`, for the schema to judge.
 */
export async function readJsonBody(req: Request, limits: JsonBodyLimits): Promise<unknown> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? null : Number(declared);
  if (length === 0 || (length === null && req.headers['transfer-encoding'] === undefined)) return undefined;
  if (length !== null && length > limits.maxBytes) throw payloadTooLarge(limits.maxBytes);
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'Compressed request bodies are not accepted.');
  }
  if (!isJson(req.headers['content-type'])) {
    throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'The request body must be application/json in UTF-8.');
  }
  const large = (length ?? limits.maxBytes) > LARGE_BODY_BYTES;
  if (large) await largeBodies.acquire();
  try {
    let raw: Buffer;
    try {
      raw = await getRawBody(req, { length: length ?? undefined, limit: limits.maxBytes });
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type === 'entity.too.large') throw payloadTooLarge(limits.maxBytes);
      if (type === 'request.size.invalid' || type === 'request.aborted')
        throw errors.validation([{ field: 'body', message: 'The body ended before its declared length' }]);
      throw err;
    }
    const shape = measureJson(raw, limits.maxValues, limits.maxDepth);
    if (shape === 'too-many-values')
      throw errors.validation(
        [{ field: 'body', message: `holds more than ${limits.maxValues} values` }],
        'The request body holds more values than this route accepts.',
      );
    if (shape === 'too-deep')
      throw errors.validation([{ field: 'body', message: `is nested deeper than ${limits.maxDepth} levels` }], 'The request body is nested too deeply.');
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw malformed();
    }
  } finally {
    if (large) largeBodies.release();
  }
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) return false;
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

/**
 * One pass over the bytes outside strings: counts containers and separators and tracks depth, so
 * a body that would build too many values or nest too deep is refused before JSON.parse sees it.
 * It does not validate; JSON.parse does.
 */
export function measureJson(bytes: Uint8Array, maxValues: number, maxDepth: number): 'ok' | 'too-many-values' | 'too-deep' {
  let values = 0;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > maxDepth) return 'too-deep';
      values += 1;
      if (values > maxValues) return 'too-many-values';
    } else if (c === 0x7d || c === 0x5d) depth -= 1;
    else if (c === 0x2c) {
      values += 1;
      if (values > maxValues) return 'too-many-values';
    }
  }
  return 'ok';
}

class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(permits: number) {
    this.available = permits;
  }

  acquire(): Promise<void> {
    if (this.available > 0) {
      this.available -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available += 1;
  }
}

const largeBodies = new Semaphore(LARGE_BODIES_AT_ONCE);
