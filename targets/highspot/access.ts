/**
 * Highspot access levels (grant kind `accessLevel`, single-valued) and onboarding assignments
 * (`content`, `trainingPath`: items assigned by policy rules on role and region), through the
 * REST API. Every Highspot name used here is PROVISIONAL (HIGHSPOT_ONBOARDING in assumed-contract.ts).
 * Group membership stays with the SCIM connector.
 */
import { nonRetryable } from '../../lib/errors';
import type { Change, Entitlement, EntitlementMode } from '../../domain/account';
import { HIGHSPOT_ONBOARDING, HIGHSPOT_REST, restUserAccess, type HighspotOnboardingItem } from './assumed-contract';
import type { HighspotRestReader } from './rest';
import { TargetHttpError } from '../scim/http';

export const ACCESS_LEVEL_KIND = 'accessLevel';
export const CONTENT_KIND = HIGHSPOT_ONBOARDING.itemTypes.content;
export const TRAINING_PATH_KIND = HIGHSPOT_ONBOARDING.itemTypes.training_path;
export const HIGHSPOT_REST_KINDS: readonly string[] = [ACCESS_LEVEL_KIND, CONTENT_KIND, TRAINING_PATH_KIND];

const kindOfItem = (item: { type: HighspotOnboardingItem['type'] }): string => HIGHSPOT_ONBOARDING.itemTypes[item.type];

/** The access level and assignments of a REST user, as entitlements. */
export function restEntitlements(rawUser: unknown): Entitlement[] {
  const { accessLevel, assignments } = restUserAccess(rawUser);
  return [...(accessLevel ? [{ kind: ACCESS_LEVEL_KIND, name: accessLevel }] : []), ...assignments.map((a) => ({ kind: kindOfItem(a), name: a.title }))];
}

export async function accessCatalog(rest: HighspotRestReader): Promise<Record<string, string[]>> {
  // The items path is assumed: a tenant that does not have it offers no items, rather than no catalog at all.
  const items = (await rest.list(HIGHSPOT_ONBOARDING.itemsPath).catch((err: unknown) => {
    if (err instanceof TargetHttpError && err.status === 404) return [];
    throw err;
  })) as HighspotOnboardingItem[];
  const titles = (kind: string) => items.filter((i) => kindOfItem(i) === kind).map((i) => i.title).sort();
  return { [ACCESS_LEVEL_KIND]: [...HIGHSPOT_ONBOARDING.accessLevels], [CONTENT_KIND]: titles(CONTENT_KIND), [TRAINING_PATH_KIND]: titles(TRAINING_PATH_KIND) };
}

/**
 * Makes the user's access level and assignments what `desired` says (overwrite) or at least that
 * (merge). No access level granted: the level is left as it is (every user has one). A policy that
 * grants none of these kinds does not manage them: nothing is read or written (so tenants where the
 * provisional REST paths differ keep working for groups).
 */
export async function ensureAccess(target: string, rest: HighspotRestReader, userId: string, desired: Entitlement[], mode: EntitlementMode): Promise<Change[]> {
  if (desired.length === 0) return [];
  const failure = (field: string) => ({ target, identity: userId, field });
  const levels = [...new Set(desired.filter((e) => e.kind === ACCESS_LEVEL_KIND).map((e) => e.name))];
  if (levels.length > 1) throw nonRetryable('ValidationError', `policy grants ${levels.length} access levels; a Highspot user has exactly one`, failure(ACCESS_LEVEL_KIND));
  const level = levels[0] && HIGHSPOT_ONBOARDING.accessLevels.find((l) => l.toLowerCase() === levels[0]!.toLowerCase());
  if (levels[0] && !level) throw nonRetryable('UnknownEntitlement', `Highspot has no access level "${levels[0]}"; known: ${HIGHSPOT_ONBOARDING.accessLevels.join(', ')}`, failure(ACCESS_LEVEL_KIND));
  const itemGrants = desired.filter((e) => e.kind === CONTENT_KIND || e.kind === TRAINING_PATH_KIND);
  const items = itemGrants.length > 0 || mode === 'overwrite' ? ((await rest.list(HIGHSPOT_ONBOARDING.itemsPath)) as HighspotOnboardingItem[]) : [];
  const wanted = new Map<string, { item: HighspotOnboardingItem; rule?: string }>();
  const unknown: string[] = [];
  for (const grant of itemGrants) {
    const item = items.find((i) => kindOfItem(i) === grant.kind && i.title.toLowerCase() === grant.name.toLowerCase());
    if (!item) unknown.push(`${grant.kind}:${grant.name}`);
    else wanted.set(item.id, { item, ...(grant.rule ? { rule: grant.rule } : {}) });
  }
  if (unknown.length > 0) throw nonRetryable('UnknownEntitlement', `Highspot has no ${unknown.join(', ')}`, failure(unknown[0]!));

  const user = restUserAccess(await rest.call('GET', HIGHSPOT_REST.userPath(userId)));
  const changes: Change[] = [];
  if (level && user.accessLevel !== level) {
    await rest.call('PATCH', HIGHSPOT_REST.userPath(userId), { access_level: level });
    const rule = desired.find((e) => e.kind === ACCESS_LEVEL_KIND)?.rule;
    changes.push({ action: 'update', target, accountId: userId, subject: ACCESS_LEVEL_KIND, before: user.accessLevel ?? null, after: level, ...(rule ? { rule } : {}) });
  }
  const held = new Set(user.assignments.map((a) => a.item_id));
  for (const { item, rule } of wanted.values()) {
    if (held.has(item.id)) continue;
    await rest.call('POST', HIGHSPOT_ONBOARDING.assignmentsPath(userId), { item_id: item.id });
    changes.push({ action: 'grant', target, accountId: userId, subject: `${kindOfItem(item)}:${item.title}`, ...(rule ? { rule } : {}) });
  }
  if (mode === 'overwrite') {
    for (const assignment of user.assignments.filter((a) => !wanted.has(a.item_id))) {
      await rest.call('DELETE', HIGHSPOT_ONBOARDING.assignmentPath(userId, assignment.id)).catch((err: unknown) => {
        // Removed by an earlier attempt whose answer was lost: that is the goal.
        if (!(err instanceof TargetHttpError && err.status === 404)) throw err;
      });
      changes.push({ action: 'revoke', target, accountId: userId, subject: `${kindOfItem(assignment)}:${assignment.title}` });
    }
  }
  return changes;
}
