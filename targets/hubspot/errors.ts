import { ApplicationFailure } from '@temporalio/common';
import { nonRetryable, retryable, redact, type FailureContext } from '../../lib/errors';

/**
 * Turns whatever the HubSpot SDK threw into an idsync failure. The SDK throws `ApiException`
 * (`code` = HTTP status, `body` = parsed JSON, `headers` lower-cased) for HTTP errors and plain
 * errors (fetch failures, unreadable bodies) otherwise. Its own message embeds the whole body and
 * headers, so it is never forwarded: messages are rebuilt from status, category and a redacted
 * server message.
 */
export interface HubspotHttpError {
  code: number;
  body?: { message?: unknown; category?: unknown; policyName?: unknown; errors?: unknown };
  headers?: Record<string, string>;
}

export const DAILY_LIMIT_RETRY_MS = 60 * 60 * 1000;
const DEFAULT_WINDOW_MS = 10_000;

export function asHttpError(err: unknown): HubspotHttpError | undefined {
  const candidate = err as Partial<HubspotHttpError> | null;
  return candidate && typeof candidate === 'object' && typeof candidate.code === 'number' && candidate.code >= 100 ? (candidate as HubspotHttpError) : undefined;
}

export interface HubspotFailureContext extends FailureContext {
  target: string;
  /** What idsync was doing, e.g. "create user", "read user by email". */
  operation: string;
  /** Name of the token's environment variable, to point the operator at the right secret. */
  tokenEnv: string;
}

export function classifyHubspotError(err: unknown, ctx: HubspotFailureContext): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const { operation, tokenEnv, ...where } = ctx;
  const http = asHttpError(err);
  if (!http) {
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
    const detail = redact(cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err));
    return retryable('NetworkError', `HubSpot ${operation}: no usable answer (${detail})`, where);
  }
  const category = typeof http.body?.category === 'string' ? http.body.category : undefined;
  const serverMessage = typeof http.body?.message === 'string' ? redact(http.body.message).slice(0, 300) : 'no message';
  const summary = `HubSpot ${operation} failed with ${http.code}${category ? ` ${category}` : ''}: ${serverMessage}`;
  const status = http.code;

  if (status === 429) return rateLimited(http, summary, where);
  if (status >= 500) return retryable('TargetUnavailable', summary, where);
  if (status === 401) {
    return nonRetryable('PermissionDenied', `HubSpot ${operation} was refused: the token in ${tokenEnv} is invalid or revoked (401${category ? ` ${category}` : ''})`, where);
  }
  if (status === 403) {
    const scopes = requiredScopes(http.body?.errors);
    return nonRetryable('PermissionDenied', `HubSpot ${operation} was refused: the token in ${tokenEnv} lacks ${scopes ? `scopes ${scopes}` : 'a required scope'} (403${category ? ` ${category}` : ''})`, where);
  }
  if (status === 404) return nonRetryable('NotFound', summary, where);
  if (status === 409 || /already exists/i.test(serverMessage)) return nonRetryable('DuplicateAccount', summary, where);
  if (status === 400 && /\b(role|team)\b.*\b(does not exist|not found|unknown|invalid)\b/i.test(serverMessage)) {
    return nonRetryable('UnknownEntitlement', summary, { ...where, field: where.field ?? fieldOf(http.body?.errors) });
  }
  return nonRetryable('ValidationError', summary, { ...where, field: where.field ?? fieldOf(http.body?.errors) });
}

/**
 * TEN_SECONDLY_ROLLING: wait one window (from the Interval-Milliseconds header) plus jitter so that
 * throttled activities across workers do not return in lockstep. SECONDLY: one second. DAILY: the
 * quota resets at midnight in the portal's time zone, which we do not know: retry hourly.
 */
function rateLimited(http: HubspotHttpError, summary: string, where: FailureContext): ApplicationFailure {
  const policy = typeof http.body?.policyName === 'string' ? http.body.policyName : undefined;
  if (policy === 'DAILY') return retryable('RateLimited', `${summary} (daily quota; retrying hourly)`, where, DAILY_LIMIT_RETRY_MS);
  if (policy === 'SECONDLY' || http.body?.message === 'You have reached your secondly limit.') return retryable('RateLimited', summary, where, 1_000 + jitter(250));
  const windowMs = Number(http.headers?.['x-hubspot-ratelimit-interval-milliseconds']);
  const waitMs = Number.isFinite(windowMs) && windowMs > 0 ? windowMs : DEFAULT_WINDOW_MS;
  return retryable('RateLimited', summary, where, waitMs + jitter(waitMs / 10));
}

function jitter(maxMs: number): number {
  return Math.floor(Math.random() * maxMs);
}

function requiredScopes(errors: unknown): string | undefined {
  if (!Array.isArray(errors)) return undefined;
  const scopes = errors.flatMap((e) => (e as { context?: { requiredGranularScopes?: unknown } })?.context?.requiredGranularScopes ?? []);
  return scopes.length ? scopes.filter((s): s is string => typeof s === 'string').join(', ') : undefined;
}

function fieldOf(errors: unknown): string | undefined {
  if (!Array.isArray(errors)) return undefined;
  const field = (errors[0] as { in?: unknown } | undefined)?.in;
  return typeof field === 'string' ? field : undefined;
}
