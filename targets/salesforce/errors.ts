import { ApplicationFailure } from '@temporalio/common';
import { nonRetryable, redact, retryable, type FailureContext, type NonRetryableType } from '../../lib/errors';

/**
 * Maps what jsforce throws to idsync's retryable / non-retryable failures. jsforce raises
 * `HttpApiError` (name = errorCode, `data` = the Salesforce error object), plain `Error`s named after
 * the OAuth `error` for token failures, `Error('Unable to refresh session due to: ...')` when the
 * 401 refresh failed, and fetch `TypeError`s (cause.code ECONNRESET, UND_ERR_SOCKET, ...) for network faults.
 */
const NON_RETRYABLE_CODES: Record<string, NonRetryableType> = {
  DUPLICATE_USERNAME: 'DuplicateAccount',
  LICENSE_LIMIT_EXCEEDED: 'LicenseLimit',
  REQUIRED_FIELD_MISSING: 'ValidationError',
  INVALID_EMAIL_ADDRESS: 'ValidationError',
  STRING_TOO_LONG: 'ValidationError',
  INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: 'ValidationError',
  FIELD_INTEGRITY_EXCEPTION: 'ValidationError',
  INVALID_CROSS_REFERENCE_KEY: 'ValidationError',
  MALFORMED_ID: 'ValidationError',
  INVALID_FIELD: 'ValidationError',
  INVALID_FIELD_FOR_INSERT_UPDATE: 'ValidationError',
  INVALID_NEW_USERNAME: 'ValidationError',
  INVALID_TYPE_ON_FIELD_IN_RECORD: 'ValidationError',
  JSON_PARSER_ERROR: 'ValidationError',
  DUPLICATE_COMM_NICKNAME: 'ValidationError',
  DUPLICATE_VALUE: 'ValidationError',
  DUPLICATE_DEVELOPER_NAME: 'ValidationError',
  DELETE_FAILED: 'ValidationError',
  MIXED_DML_OPERATION: 'ValidationError',
  MALFORMED_QUERY: 'ConfigError',
  INVALID_TYPE: 'ConfigError',
  API_DISABLED_FOR_ORG: 'PermissionDenied',
  INSUFFICIENT_ACCESS_OR_READONLY: 'PermissionDenied',
  INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY: 'PermissionDenied',
  METHOD_NOT_ALLOWED: 'ConfigError',
  NOT_FOUND: 'NotFound',
  ENTITY_IS_DELETED: 'NotFound',
};

/** OAuth token errors: wrong configuration or an unapproved user, which retrying cannot fix. */
const OAUTH_ERRORS = new Set(['invalid_client_id', 'invalid_client', 'invalid_grant', 'unsupported_grant_type', 'invalid_request', 'inactive_user', 'inactive_org']);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'ENETDOWN', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Daily allowance spent: waiting minutes beats hammering; concurrency limits clear in seconds. */
const DAILY_LIMIT_RETRY_MS = 15 * 60 * 1000;
const CONCURRENCY_LIMIT_RETRY_MS = 10 * 1000;

interface SalesforceErrorShape {
  errorCode?: string;
  message?: string;
  fields?: string[];
}

export function errorCodeOf(err: unknown): string | undefined {
  const e = err as { errorCode?: unknown; data?: unknown };
  if (typeof e?.errorCode !== 'string') return undefined;
  if (e.errorCode === 'MULTIPLE_API_ERRORS' && Array.isArray(e.data)) return (e.data[0] as SalesforceErrorShape)?.errorCode ?? e.errorCode;
  return e.errorCode;
}

function detailOf(err: unknown): SalesforceErrorShape {
  const e = err as { data?: unknown; message?: string };
  const data = Array.isArray(e.data) ? e.data[0] : e.data;
  const shape = data && typeof data === 'object' ? (data as SalesforceErrorShape) : {};
  return { errorCode: errorCodeOf(err), message: shape.message ?? e.message, fields: Array.isArray(shape.fields) ? shape.fields : undefined };
}

function networkCode(err: unknown): string | undefined {
  let cause: unknown = err;
  for (let depth = 0; depth < 4 && cause; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  if (err instanceof TypeError && /fetch failed|terminated|socket/i.test(err.message)) return 'FETCH_FAILED';
  const name = (err as { name?: unknown })?.name;
  if (name === 'AbortError' || name === 'TimeoutError') return 'TIMEOUT';
  return undefined;
}

/**
 * The original error is not attached as `cause`: Temporal would copy its unredacted message and
 * stack into workflow history. `operation` says what was attempted ("create user", "grant permissionSet:Sales_Ops"); ctx names the
 * target, the identity and, if the caller knows it, the field (Salesforce's own `fields` win).
 */
export function classifySalesforceError(err: unknown, operation: string, ctx: FailureContext): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const network = networkCode(err);
  if (network) return retryable('NetworkError', `Salesforce ${operation}: network error ${network}`, ctx);

  const name = (err as { name?: unknown })?.name;
  const rawMessage = redact(String((err as { message?: unknown })?.message ?? err));
  if (typeof name === 'string' && OAUTH_ERRORS.has(name)) {
    return nonRetryable('ConfigError', `Salesforce ${operation}: token request rejected (${name}: ${rawMessage}); check the connected app, its consumer key/secret or certificate and the user's pre-authorisation`, ctx);
  }
  if (/^Unable to refresh session/.test(rawMessage)) {
    return retryable('SessionExpired', `Salesforce ${operation}: session expired and could not be renewed (${rawMessage})`, ctx);
  }

  const detail = detailOf(err);
  const code = detail.errorCode;
  if (!code) return retryable('SalesforceError', `Salesforce ${operation}: ${rawMessage}`, ctx);
  const message = `Salesforce ${operation}: ${code}: ${redact(detail.message ?? '')}`;
  const withField: FailureContext = { ...ctx, field: detail.fields?.length ? detail.fields.join(',') : ctx.field };

  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    const daily = /TotalRequests/i.test(detail.message ?? '');
    return retryable('RateLimited', message, ctx, daily ? DAILY_LIMIT_RETRY_MS : CONCURRENCY_LIMIT_RETRY_MS);
  }
  if (code === 'INVALID_SESSION_ID') return retryable('SessionExpired', message, ctx);
  if (code === 'INVALID_QUERY_LOCATOR') return retryable('QueryLocatorExpired', message, ctx);
  if (['SERVER_UNAVAILABLE', 'UNKNOWN_EXCEPTION', 'UNABLE_TO_LOCK_ROW', 'REQUEST_RUNNING_TOO_LONG'].includes(code) || /^ERROR_HTTP_(5\d\d|429|420)$/.test(code)) {
    return retryable('TargetUnavailable', message, ctx);
  }
  if (code === 'DUPLICATE_VALUE' && detail.fields?.includes('FederationIdentifier')) {
    return nonRetryable('DuplicateAccount', `${message}; another Salesforce user already carries this anchor`, withField);
  }
  const type = NON_RETRYABLE_CODES[code];
  if (type) return nonRetryable(type, message, withField);
  if (/^ERROR_HTTP_4\d\d$/.test(code)) return nonRetryable('ValidationError', message, withField);
  return retryable('SalesforceError', message, withField);
}
