import type { ApplicationFailure } from '@temporalio/common';
import { nonRetryable } from '../lib/errors';
import type { MatchKeys } from '../domain/account';

/**
 * Shared rules for MatchKeys.accountId, the account idsync linked to a person. Each adapter reads
 * that account by id first; these helpers keep the anchor check and its failure the same everywhere.
 */

/**
 * True when the linked account carries an anchor and it is not the person's: that account belongs
 * to someone else. An account without an anchor, or a match without one, cannot contradict the link.
 */
export function anchoredToSomeoneElse(match: MatchKeys, accountAnchor: string | null | undefined): boolean {
  // Anchors are UUIDs/GUIDs/employee ids: a difference in letter case only is the same anchor.
  return !!match.anchor && !!accountAnchor && accountAnchor.toLowerCase() !== match.anchor.toLowerCase();
}

/** Non-retryable: acting on the linked account would change another person's access. */
export function linkConflict(target: string, match: MatchKeys, accountId: string, field: string): ApplicationFailure {
  return nonRetryable(
    'LinkConflict',
    `the account linked to this person (${accountId}) carries another person's ${field}; idsync will not act on it until the link is corrected`,
    { target, identity: match.anchor, field },
  );
}
