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

export function restUserOf(store: ScimStore, user: StoredResource): HighspotRestUser {
  const view = store.userView(user) as { userName: string; displayName?: string; name?: { givenName?: string; familyName?: string }; emails?: Array<{ value: string; primary?: boolean }>; groups: Array<{ value: string; display: string }> };
  const email = (view.emails?.find((e) => e.primary) ?? view.emails?.[0])?.value ?? view.userName;
  const lastActivity = user.extras[LAST_ACTIVITY_EXTRA];
  return {
    id: user.id,
    email,
    name: view.displayName ?? [view.name?.givenName, view.name?.familyName].filter(Boolean).join(' '),
    verified: typeof lastActivity === 'string',
    active: user.data.active !== false,
    groups: view.groups.map((g) => ({ id: g.value, title: g.display })),
    last_activity_at: typeof lastActivity === 'string' ? lastActivity : null,
    ...accessOf(user),
  };
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
    let users = [...store.users.values()].map((u) => restUserOf(store, u));
    if (list === HIGHSPOT_REST.lists.verified) users = users.filter((u) => u.active && u.verified);
    else if (list === HIGHSPOT_REST.lists.unverified) users = users.filter((u) => u.active && !u.verified);
    else if (list !== HIGHSPOT_REST.lists.all) return void res.status(400).json({ message: `unknown list "${list}"` });
    if (typeof email === 'string') users = users.filter((u) => u.email.toLowerCase() === email.toLowerCase());
    res.json(envelope(page(users, req.query)));
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
