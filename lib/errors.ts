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

/** Longest value quoted into a message (a name, an e-mail, an attribute value): enough to recognise it. */
export const MAX_QUOTED_CHARS = 80;
/** Longest failure message: a target's whole error body (which may echo a person's record) is cut here. */
export const MAX_MESSAGE_CHARS = 600;

/**
 * `text` cut to `max` characters (whole code points), the rest counted but not shown. Error messages
 * travel to history, logs and terminals; a value quoted in full can carry more personal data than
 * the reader needs to act.
 */
export function truncateText(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max).join('')}… (${chars.length - max} more characters)`;
}

/** A value quoted in an error message: in double quotes, at most `max` characters of it. */
export function quoteValue(value: unknown, max = MAX_QUOTED_CHARS): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return `"${truncateText(text, max)}"`;
}

function describe(message: string, ctx: FailureContext): string {
  const cut = (value: string) => truncateText(value, MAX_QUOTED_CHARS);
  const where = [ctx.target && `target ${cut(ctx.target)}`, ctx.identity && `identity ${cut(ctx.identity)}`, ctx.field && `field ${cut(ctx.field)}`]
    .filter(Boolean)
    .join(', ');
  return truncateText(where ? `${message} (${where})` : message, MAX_MESSAGE_CHARS);
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
