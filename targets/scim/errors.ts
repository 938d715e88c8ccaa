/**
 * Turns SCIM failures into idsync's retryable / non-retryable ApplicationFailures. What the SP
 * said is kept (status, scimType, redacted detail) so an operator can act on it; tokens never are.
 */
import { ApplicationFailure } from '@temporalio/common';
import { nonRetryable, redact, retryable, type FailureContext } from '../../lib/errors';
import { TargetHttpError } from './http';

const VALIDATION_SCIM_TYPES: Record<string, string> = {
  invalidValue: 'value',
  invalidSyntax: 'body',
  invalidPath: 'path',
  noTarget: 'path',
  mutability: 'attribute',
  invalidFilter: 'filter',
  tooMany: 'filter',
  invalidVers: 'version',
};

export function classifyScimError(err: unknown, ctx: FailureContext): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof TargetHttpError)) {
    const message = redact(err instanceof Error ? err.message : String(err));
    return retryable('UnexpectedError', `unexpected failure talking to the target: ${message}`, ctx);
  }
  const message = redact(err.message);
  const withField = (field: string) => ({ ...ctx, field: ctx.field ?? field });
  if (err.status === 0) return retryable('NetworkError', message, ctx);
  if (err.status === 429) return retryable('RateLimited', message, ctx, err.retryAfterMs);
  if (err.status === 412) return retryable('ConcurrentModification', message, ctx, 0);
  if (err.status === 501) return nonRetryable('ConfigError', `${message} (the service does not implement this operation)`, ctx);
  if (err.status >= 500) return retryable('ServerError', message, ctx, err.retryAfterMs);
  if (err.status === 401 || err.status === 403) return nonRetryable('PermissionDenied', message, ctx);
  if (err.status === 404) return nonRetryable('NotFound', message, ctx);
  if (err.status === 409) return nonRetryable('DuplicateAccount', message, withField('userName'));
  return nonRetryable('ValidationError', message, withField(VALIDATION_SCIM_TYPES[err.scimType ?? ''] ?? 'request'));
}

export function isScimStatus(err: unknown, status: number): err is TargetHttpError {
  return err instanceof TargetHttpError && err.status === status;
}
