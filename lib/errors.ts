import { ApplicationFailure } from '@temporalio/common';

/**
 * Error types idsync raises as non-retryable ApplicationFailures. Activity retry policies list
 * them in nonRetryableErrorTypes too, so a mistake in one place cannot cause a retry storm.
 */
export const NON_RETRYABLE_TYPES = [
  'ValidationError',
  'DuplicateAccount',
  'AmbiguousMatch',
  /** The account idsync linked to a person carries another person's anchor: never act on it. */
  'LinkConflict',
  'LicenseLimit',
  'UnknownEntitlement',
  'ConfigError',
  'NotFound',
  'PermissionDenied',
] as const;
export type NonRetryableType = (typeof NON_RETRYABLE_TYPES)[number];

export interface FailureContext {
  /** Target name from the configuration, e.g. "salesforce". */
  target?: string;
  /** Person anchor or username: an identifier, never a secret. */
  identity?: string;
  /** The field or attribute at fault, in the target's vocabulary. */
  field?: string;
  /** Identity conflicts: the anchor of the person the account belongs to, when the target says. */
  holder?: string;
}

function describe(message: string, ctx: FailureContext): string {
  const where = [ctx.target && `target ${ctx.target}`, ctx.identity && `identity ${ctx.identity}`, ctx.field && `field ${ctx.field}`]
    .filter(Boolean)
    .join(', ');
  return where ? `${message} (${where})` : message;
}

/** A failure that retrying cannot fix: bad data, duplicates, license limits, unknown roles. */
export function nonRetryable(type: NonRetryableType, message: string, ctx: FailureContext = {}, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message: describe(message, ctx), nonRetryable: true, details: [ctx], cause });
}

/**
 * A failure worth retrying (network, 429, 5xx, expired token). `retryAfterMs` lets the activity
 * honour the target's own back-off signal instead of the generic retry policy.
 */
export function retryable(type: string, message: string, ctx: FailureContext = {}, retryAfterMs?: number, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: describe(message, ctx),
    nonRetryable: false,
    details: [ctx],
    nextRetryDelay: retryAfterMs !== undefined ? Math.max(0, Math.round(retryAfterMs)) : undefined,
    cause,
  });
}

/** Strips anything that looks like a credential from text before it reaches logs or history. */
export function redact(text: string): string {
  return text
    .replace(/(authorization:\s*)(bearer|basic)\s+[^\s"',}]+/gi, '$1$2 [redacted]')
    .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]')
    .replace(/("?(?:access_token|refresh_token|client_secret|password|assertion|secret|token)"?\s*[:=]\s*"?)[^"&\s,}]+/gi, '$1[redacted]');
}
