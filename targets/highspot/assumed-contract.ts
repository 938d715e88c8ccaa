/**
 * PROVISIONAL — every Highspot-specific name idsync assumes, in one place.
 *
 * Highspot publishes no API reference (shared contract highspot.md). Known with some confidence:
 * the REST base `https://api-{instance}.highspot.com/v1.0`, Basic auth with API key:secret, the
 * 401 text body, `GET /users` with `email`, `list`, `start`, `limit`, `GET /users/{id}`,
 * `GET /groups`, and the `{ "collection": [...] }` list envelope. NOT known and assumed here:
 * every user/group field name other than `id`, the SCIM endpoint's path and quirks (Highspot's
 * SCIM exists for IdPs on the Enterprise tier but its behaviour is undocumented), and where last
 * activity is exposed. The emulator (emulators/highspot) and the target (targets/highspot) both
 * import this module, so correcting an assumption is a change here and nowhere else.
 * Verify against a Highspot tenant's authenticated API reference / SCIM settings page.
 */

/**
 * REST read side (version prefix included in the configured restBaseUrl, e.g. .../v1.0). Only v1.0
 * is emulated: /v0.5 answers 404, so a misconfigured base URL fails loudly instead of half-working.
 */
export const HIGHSPOT_REST = {
  versionPrefix: '/v1.0',
  usersPath: '/users',
  userPath: (id: string) => `/users/${encodeURIComponent(id)}`,
  groupsPath: '/groups',
  query: { email: 'email', list: 'list', start: 'start', limit: 'limit' },
  /** `list=` values; Highspot's default is verified users only, so lookups must ask for `all`. */
  lists: { all: 'all', verified: 'verified', unverified: 'unverified' },
  defaultLimit: 100,
  envelope: 'collection',
  unauthenticatedBody: 'Could not authenticate user.',
} as const;

/** PROVISIONAL wire shape of a REST user. `last_activity_at` in particular is our guess. */
export interface HighspotRestUser {
  id: string;
  email: string;
  name: string;
  /** Signed in at least once (invited-but-never-signed-in users are "unverified"). */
  verified: boolean;
  active: boolean;
  groups: Array<{ id: string; title: string }>;
  /** ISO timestamp of the last sign-in or activity; null when never. */
  last_activity_at: string | null;
  /** See HIGHSPOT_ONBOARDING. */
  access_level: string;
  assignments: HighspotAssignment[];
}

/** PROVISIONAL wire shape of a REST group (a Highspot "group", which targets audiences). */
export interface HighspotRestGroup {
  id: string;
  title: string;
  member_count: number;
}

/** Reads the fields idsync uses from a REST user, tolerating absent ones. */
export function restUserFacts(raw: unknown): { id: string; email?: string; lastActivityAt?: string } {
  const user = (raw ?? {}) as Partial<HighspotRestUser>;
  return {
    id: String(user.id ?? ''),
    email: typeof user.email === 'string' ? user.email : undefined,
    lastActivityAt: typeof user.last_activity_at === 'string' ? user.last_activity_at : undefined,
  };
}

/**
 * PROVISIONAL behaviour of Highspot's SCIM 2.0 service provider, as the emulator plays it and the
 * target's defaults expect it: users keyed by e-mail, DELETE only deactivates (content ownership
 * must be reassigned in the UI), groups are defined in Highspot and only their membership is
 * provisioned, no ETags.
 */
export const HIGHSPOT_SCIM = {
  basePath: '/scim/v2',
  userNameIsEmail: true,
  deleteDeactivates: true,
  groupsReadOnly: true,
  etag: false,
  patchStatus: 200 as 200 | 204,
  defaultPageSize: 100,
  maxPageSize: 100,
} as const;

/**
 * PROVISIONAL access levels and onboarding assignments (REST v1.0). Highspot assigns every user one
 * access level (the values below are the ones idsync's source documents name) and lets admins assign
 * content and training paths; none of these names, paths or fields is published. Assumed: the REST
 * user id is the SCIM user id; `PATCH /users/{id}` with `access_level` changes the level; the
 * assignable items are listed at `GET /onboarding_items`; a user's assignments are listed, added
 * (`POST` with `item_id`, an existing one answered 200) and removed (`DELETE .../{assignment id}`)
 * under `/users/{id}/assignments`; the REST user carries `access_level` and its `assignments`.
 */
export const HIGHSPOT_ONBOARDING = {
  accessLevels: ['Sales Rep', 'Manager', 'Marketing Contributor', 'Enablement Admin'] as const,
  /** What a user has before anyone sets a level. */
  defaultAccessLevel: 'Sales Rep',
  itemsPath: '/onboarding_items',
  assignmentsPath: (userId: string) => `/users/${encodeURIComponent(userId)}/assignments`,
  assignmentPath: (userId: string, assignmentId: string) => `/users/${encodeURIComponent(userId)}/assignments/${encodeURIComponent(assignmentId)}`,
  /** Item `type` values and the idsync grant kinds they are managed as. */
  itemTypes: { content: 'content', training_path: 'trainingPath' } as const,
} as const;

export type HighspotItemType = keyof typeof HIGHSPOT_ONBOARDING.itemTypes;

/** PROVISIONAL wire shape of an assignable item. */
export interface HighspotOnboardingItem {
  id: string;
  type: HighspotItemType;
  title: string;
}

/** PROVISIONAL wire shape of one assignment of an item to a user. */
export interface HighspotAssignment {
  id: string;
  item_id: string;
  type: HighspotItemType;
  title: string;
}

/** Reads the access level and assignments from a REST user, tolerating absent fields. */
export function restUserAccess(raw: unknown): { accessLevel?: string; assignments: HighspotAssignment[] } {
  const user = (raw ?? {}) as { access_level?: unknown; assignments?: unknown };
  const assignments = Array.isArray(user.assignments) ? (user.assignments as HighspotAssignment[]).filter((a) => a && typeof a.id === 'string' && typeof a.title === 'string') : [];
  return { ...(typeof user.access_level === 'string' ? { accessLevel: user.access_level } : {}), assignments };
}
