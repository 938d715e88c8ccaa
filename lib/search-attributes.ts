/**
 * Every search attribute idsync sets, defined once: the typed keys workflow code upserts, the values
 * a keyword may take, and the registration list (dev server flags, `temporal operator search-attribute
 * create`, docker-compose) derived from those keys. Imports only @temporalio/common, so workflow code
 * can use it inside the deterministic sandbox. Values are identifiers, never personal data.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SEARCH_ATTRIBUTE_KEYS = {
  /** The person's directory anchor (opaque identifier). */
  person: defineSearchAttributeKey('IdsyncPerson', SearchAttributeType.KEYWORD),
  /** joiner | mover | leaver | rehire | sync. */
  eventKind: defineSearchAttributeKey('IdsyncEventKind', SearchAttributeType.KEYWORD),
  /** Names of the configured targets a run touches. */
  targets: defineSearchAttributeKey('IdsyncTargets', SearchAttributeType.KEYWORD_LIST),
  approvalState: defineSearchAttributeKey('IdsyncApprovalState', SearchAttributeType.KEYWORD),
  /** The directory watcher's mass-change guard: GUARD_STATES. */
  guardState: defineSearchAttributeKey('IdsyncGuardState', SearchAttributeType.KEYWORD),
  /** How a run ended: OUTCOMES. */
  outcome: defineSearchAttributeKey('IdsyncOutcome', SearchAttributeType.KEYWORD),
  /** Accounts a run converged, as linkValue(target, accountId). */
  links: defineSearchAttributeKey('IdsyncLinks', SearchAttributeType.KEYWORD_LIST),
  /** Person workflows: keyed hash of the lower-cased username (app/username-key.ts), never the username. */
  usernameKey: defineSearchAttributeKey('IdsyncUsernameKey', SearchAttributeType.KEYWORD),
  /** Runs: what a running run waits for besides an approval: WAITING_FOR (the progress line counts future starters by it). */
  waitingFor: defineSearchAttributeKey('IdsyncWaitingFor', SearchAttributeType.KEYWORD),
} as const;

export const WAITING_FOR = { startDate: 'start-date', nothing: 'none' } as const;

export const GUARD_STATES = { awaitingApproval: 'awaiting-approval', clear: 'clear' } as const;
export type GuardState = (typeof GUARD_STATES)[keyof typeof GUARD_STATES];

/** conflict: the person would take an account another person holds; held until the directory is fixed. */
export const OUTCOMES = ['converged', 'partial', 'failed', 'conflict'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** One IdsyncLinks value: the target's name and the account id idsync linked there. */
export function linkValue(target: string, accountId: string): string {
  return `${target}:${accountId}`;
}

/** The type names `temporal server start-dev --search-attribute` and `temporal operator search-attribute create` take. */
const CLI_TYPE_NAMES = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
} as const;

export type SearchAttributeCliType = (typeof CLI_TYPE_NAMES)[keyof typeof CLI_TYPE_NAMES];

/** Registration list, name -> CLI type name (e.g. IdsyncTargets -> KeywordList), derived from the keys above. */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeCliType>> = Object.fromEntries(
  Object.values(SEARCH_ATTRIBUTE_KEYS).map((key) => [key.name, CLI_TYPE_NAMES[key.type]]),
);

/** The registration list as `Name=Type` pairs, the form both Temporal CLI commands above accept. */
export function searchAttributeRegistrations(): string[] {
  return Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => `${name}=${type}`);
}
