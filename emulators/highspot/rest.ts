/**
 * Highspot's REST v1.0 read side over the emulator's SCIM store: Basic key:secret auth, the
 * `{ "collection": [...] }` envelope with start/limit offset paging, and the provisional user and
 * group shapes from targets/highspot/assumed-contract.ts.
 */
import express, { type RequestHandler, type Response } from 'express';
import { HIGHSPOT_REST, type HighspotRestGroup, type HighspotRestUser } from '../../targets/highspot/assumed-contract';
import type { FaultReplies } from '../scim/app';
import type { ScimStore, StoredResource } from '../scim/store';
import { accessOf } from './onboarding';

export const LAST_ACTIVITY_EXTRA = 'lastActivityAt';

function basicAuth(apiKey: string, apiSecret: string): RequestHandler {
  const expected = `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`;
  return (req, res, next) => {
    if (req.header('authorization') === expected) return next();
    res.status(401).type('text/plain').send(HIGHSPOT_REST.unauthenticatedBody);
  };
}

type StoredUserData = { userName: string; displayName?: string; name?: { givenName?: string; familyName?: string }; emails?: Array<{ value: string; primary?: boolean }> };

/** What the list filters look at (e-mail, active, verified), read from the stored user without rendering it. */
function restUserFacts(user: StoredResource): HighspotRestUser {
  const data = user.data as StoredUserData;
  const email = (data.emails?.find((e) => e.primary) ?? data.emails?.[0])?.value ?? data.userName;
  const lastActivity = user.extras[LAST_ACTIVITY_EXTRA];
  return {
    id: user.id,
    email,
    name: data.displayName ?? [data.name?.givenName, data.name?.familyName].filter(Boolean).join(' '),
    verified: typeof lastActivity === 'string',
    active: user.data.active !== false,
    groups: [],
    last_activity_at: typeof lastActivity === 'string' ? lastActivity : null,
    ...accessOf(user),
  };
}

export function restUserOf(store: ScimStore, user: StoredResource): HighspotRestUser {
  return { ...restUserFacts(user), groups: store.groupsOf(user.id).map((g) => ({ id: g.id, title: String(g.data.displayName) })) };
}

function page<T>(items: T[], query: Record<string, unknown>): T[] {
  const start = Math.max(0, Number(query[HIGHSPOT_REST.query.start] ?? 0) || 0);
  const limitRaw = Number(query[HIGHSPOT_REST.query.limit] ?? HIGHSPOT_REST.defaultLimit);
  const limit = Number.isNaN(limitRaw) || limitRaw < 1 ? HIGHSPOT_REST.defaultLimit : Math.trunc(limitRaw);
  return items.slice(start, start + limit);
}

function notFound(res: Response, what: string) {
  res.status(404).json({ message: `${what} not found` });
}

export function createHighspotRestRouter(store: ScimStore, apiKey: string, apiSecret: string): express.Router {
  const router = express.Router();
  router.use(basicAuth(apiKey, apiSecret));
  const envelope = <T>(items: T[]) => ({ [HIGHSPOT_REST.envelope]: items });

  router.get(HIGHSPOT_REST.usersPath, (req, res) => {
    const list = String(req.query[HIGHSPOT_REST.query.list] ?? HIGHSPOT_REST.lists.verified);
    const email = req.query[HIGHSPOT_REST.query.email];
    const lists: Record<string, (u: HighspotRestUser) => boolean> = {
      [HIGHSPOT_REST.lists.all]: () => true,
      [HIGHSPOT_REST.lists.verified]: (u) => u.active && u.verified,
      [HIGHSPOT_REST.lists.unverified]: (u) => u.active && !u.verified,
    };
    const inList = Object.hasOwn(lists, list) ? lists[list]! : undefined;
    if (!inList) return void res.status(400).json({ message: `unknown list "${list}"` });
    const wanted = typeof email === 'string' ? email.toLowerCase() : undefined;
    const selected = (u: HighspotRestUser) => inList(u) && (wanted === undefined || u.email.toLowerCase() === wanted);
    // Only the requested page is rendered in full: every user's REST shape for every page made a
    // read of 10,000 users cost a second per page.
    // An e-mail lookup starts from the store's address index, as a real service would from its own.
    const candidates = wanted === undefined ? [...store.users.values()] : store.usersWithAddress(wanted);
    const users = candidates.filter((u) => selected(restUserFacts(u)));
    res.json(envelope(page(users, req.query).map((u) => restUserOf(store, u))));
  });

  router.get(`${HIGHSPOT_REST.usersPath}/:id`, (req, res) => {
    const user = store.users.get(req.params.id);
    if (!user) return notFound(res, `user ${req.params.id}`);
    res.json(restUserOf(store, user));
  });

  router.get(HIGHSPOT_REST.groupsPath, (req, res) => {
    const groups: HighspotRestGroup[] = [...store.groups.values()].map((g) => ({
      id: g.id,
      title: String(g.data.displayName),
      member_count: store.membersOf(g).length,
    }));
    res.json(envelope(page(groups, req.query)));
  });
  return router;
}

/** No rate-limit headers are observed on the real REST API; injected faults add them so retries are exercised. */
export function highspotRestFaultReplies(retryAfterSeconds: number): FaultReplies {
  return {
    serverError: (res) => res.status(503).json({ message: 'Service unavailable (injected)' }),
    rateLimit: (res) => res.status(429).set('Retry-After', String(retryAfterSeconds)).json({ message: 'Too many requests (injected)' }),
  };
}
