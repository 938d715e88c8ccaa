/**
 * One JSON-over-HTTP exchange with a target, shared by the SCIM client and the Highspot REST
 * reader: timeouts, JSON-or-text bodies, and every non-2xx or missing answer as a TargetHttpError
 * whose text is redacted before anyone can log it.
 */
import { redact } from '../../lib/errors';

/** An HTTP answer other than 2xx, or no answer at all (status 0). Message and detail are redacted. */
export class TargetHttpError extends Error {
  constructor(
    readonly service: string,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly scimType: string | undefined,
    readonly detail: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${service} ${method} ${path} ${status === 0 ? 'failed' : `answered ${status}${scimType ? ` ${scimType}` : ''}`}: ${detail}`);
    this.name = 'TargetHttpError';
  }
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (!Number.isNaN(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export interface HttpExchange {
  service: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  contentType?: string;
  timeoutMs: number;
}

export async function exchangeJson(x: HttpExchange): Promise<{ status: number; body: unknown }> {
  // Only the path reaches messages: query strings can carry e-mail addresses and filters.
  const shownPath = new URL(x.url).pathname;
  const headers = { ...x.headers };
  if (x.body !== undefined) headers['content-type'] = x.contentType ?? 'application/json';
  let res: Response;
  try {
    res = await fetch(x.url, {
      method: x.method,
      headers,
      body: x.body === undefined ? undefined : JSON.stringify(x.body),
      signal: AbortSignal.timeout(x.timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${x.timeoutMs} ms` : cause?.code ?? cause?.message ?? (err as Error).message;
    throw new TargetHttpError(x.service, x.method, shownPath, 0, undefined, redact(String(reason)));
  }
  const text = await res.text().catch(() => '');
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (res.ok) return { status: res.status, body };
  const error = (typeof body === 'object' && body !== null ? body : {}) as { scimType?: string; detail?: string; message?: string };
  const detail = redact(String(error.detail ?? error.message ?? (typeof body === 'string' ? body : res.statusText)).slice(0, 500));
  throw new TargetHttpError(x.service, x.method, shownPath, res.status, error.scimType, detail, parseRetryAfter(res.headers.get('retry-after')));
}
