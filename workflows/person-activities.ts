/**
 * Activity proxies and search attribute keys for the person workflows. Directory and audit work goes
 * to the directory queue; target work goes to that target's own queue so its rate limit applies.
 */
import { proxyActivities } from '@temporalio/workflow';
import { ApplicationFailure, type Priority, type RetryPolicy } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_KEYS } from '../lib/search-attributes';
import { TASK_QUEUES } from '../lib/names';
import { NON_RETRYABLE_TYPES } from '../lib/errors';
import type { ProvisioningActivities } from '../activities/provisioning';
import type { RunOptions } from './person-types';

/** The search attributes the person workflows set (one definition: lib/search-attributes.ts). */
export const SA = SEARCH_ATTRIBUTE_KEYS;

/** Transient failures (network, 429, 5xx) retry with back-off; data and config problems fail at once. */
export const ACTIVITY_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  maximumAttempts: 12,
  nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
};

export function directoryActivities(options: RunOptions) {
  return proxyActivities<ProvisioningActivities>({
    taskQueue: options.directoryQueue ?? TASK_QUEUES.directory,
    startToCloseTimeout: '1m',
    retry: ACTIVITY_RETRY,
  });
}

export function targetQueue(target: string, options: RunOptions): string {
  return options.targetQueuePrefix ? `${options.targetQueuePrefix}${target}` : TASK_QUEUES.target(target);
}

/** The target's own rate-limited queue; `priority` orders its tasks against the others there (planning goes after applies). */
export function targetActivities(target: string, options: RunOptions, priority?: Priority) {
  return proxyActivities<ProvisioningActivities>({
    taskQueue: targetQueue(target, options),
    // Short enough that a crashed worker's attempt is retried promptly; adapters page and batch within it.
    startToCloseTimeout: options.targetActivityTimeoutMs ?? '2m',
    retry: { ...ACTIVITY_RETRY, maximumAttempts: options.targetMaxAttempts ?? ACTIVITY_RETRY.maximumAttempts },
    ...(priority ? { priority } : {}),
  });
}

/** The message of the innermost cause: the adapter's own words (they name identity, target and field). */
export function failureMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  let message = current?.message ?? String(err);
  while (current?.cause) {
    current = current.cause as { message?: string; cause?: unknown };
    if (current.message) message = current.message;
  }
  return message;
}

/** True when the innermost cause says trying again cannot help (bad data, config, a conflict a person must resolve). */
export function isNonRetryable(err: unknown): boolean {
  let current = err as { cause?: unknown } | undefined;
  while (current) {
    if (current instanceof ApplicationFailure && current.nonRetryable) return true;
    current = current.cause as { cause?: unknown } | undefined;
  }
  return false;
}

/** Failure types by which a target says the account belongs to another identity: a conflict a person must resolve. */
const IDENTITY_CONFLICT_TYPES = new Set(['DuplicateAccount', 'LinkConflict']);

/**
 * When a target refused because the account is another identity's (anchor-storing targets find
 * this themselves), the other people it names (their anchors, when the target tells); else undefined.
 */
export function identityConflictOf(err: unknown): string[] | undefined {
  let current = err as { cause?: unknown } | undefined;
  while (current) {
    if (current instanceof ApplicationFailure && current.type && IDENTITY_CONFLICT_TYPES.has(current.type)) {
      const holder = (current.details?.[0] as { holder?: unknown } | undefined)?.holder;
      return typeof holder === 'string' && holder ? [holder] : [];
    }
    current = current.cause as { cause?: unknown } | undefined;
  }
  return undefined;
}
