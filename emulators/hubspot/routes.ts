import { HubspotApiError, type HubspotStore, type UserWrite } from './store';

/**
 * The `/settings/v3/users` API as pure request -> response over the store, without sockets, so the
 * server around it owns auth, limits and faults. Paths are matched with and without the trailing
 * slash (the SDK sends `/settings/v3/users/?limit=..` for lists but `/settings/v3/users` for create),
 * and the literal `roles` / `teams` segments win over `{id}`.
 */
export const USERS_PATH = '/settings/v3/users';
export const MAX_PAGE_SIZE = 100;

export const SCOPES = {
  read: 'settings.users.read',
  write: 'settings.users.write',
  teamsRead: 'settings.users.teams.read',
  billingWrite: 'billing.write',
} as const;
export const ALL_SCOPES: readonly string[] = Object.values(SCOPES);

export interface ApiRequest {
  method: string;
  /** Path without query, trailing slash removed. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** Scheme + host the client used, for paging links. */
  baseUrl: string;
  scopes: ReadonlySet<string>;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
}

export function isUsersApiPath(path: string): boolean {
  return path === USERS_PATH || path.startsWith(`${USERS_PATH}/`);
}

export function handleUsersApi(store: HubspotStore, req: ApiRequest): ApiResponse {
  const rest = req.path.slice(USERS_PATH.length).replace(/^\//, '');
  if (rest.includes('/')) throw notFound();
  if (rest === '') {
    if (req.method === 'GET') return listUsers(store, req);
    if (req.method === 'POST') return createUser(store, req);
    throw methodNotAllowed(req.method);
  }
  if (rest === 'roles' || rest === 'teams') {
    if (req.method !== 'GET') throw methodNotAllowed(req.method);
    requireScopes(req, [rest === 'roles' ? SCOPES.read : SCOPES.teamsRead]);
    if (rest === 'roles') return { status: 200, body: { results: [...store.roles.values()].map((r) => ({ ...r })) } };
    return { status: 200, body: { results: store.teamsView() } };
  }
  const userId = decodeURIComponent(rest);
  const idProperty = req.query.get('idProperty');
  if (req.method === 'GET') {
    requireScopes(req, [SCOPES.read]);
    return { status: 200, body: store.toPublic(store.resolve(userId, idProperty)) };
  }
  if (req.method === 'PUT') {
    const write = asObject(req.body);
    requireScopes(req, [SCOPES.write, ...store.billingRolesIn(write).map(() => SCOPES.billingWrite)]);
    return { status: 200, body: store.toPublic(store.update(store.resolve(userId, idProperty), write)) };
  }
  if (req.method === 'DELETE') {
    requireScopes(req, [SCOPES.write]);
    store.remove(store.resolve(userId, idProperty));
    return { status: 204 };
  }
  throw methodNotAllowed(req.method);
}

function listUsers(store: HubspotStore, req: ApiRequest): ApiResponse {
  requireScopes(req, [SCOPES.read]);
  const limitParam = req.query.get('limit');
  const limit = limitParam === null ? MAX_PAGE_SIZE : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new HubspotApiError(400, 'VALIDATION_ERROR', `Invalid limit "${limitParam}"`, [{ message: 'must be a positive integer', in: 'limit' }]);
  }
  const after = req.query.get('after');
  const afterId = after === null || after === '' ? undefined : decodeCursor(after);
  const page = store.page(Math.min(limit, MAX_PAGE_SIZE), afterId);
  const body: Record<string, unknown> = { results: page.results.map((u) => store.toPublic(u)) };
  if (page.more && page.lastId) {
    const next = encodeCursor(page.lastId);
    body.paging = { next: { after: next, link: `${req.baseUrl}${USERS_PATH}/?limit=${Math.min(limit, MAX_PAGE_SIZE)}&after=${encodeURIComponent(next)}` } };
  }
  return { status: 200, body };
}

function createUser(store: HubspotStore, req: ApiRequest): ApiResponse {
  const write = asObject(req.body);
  requireScopes(req, [SCOPES.write, ...store.billingRolesIn(write).map(() => SCOPES.billingWrite)]);
  const user = store.create(write);
  return { status: 201, body: store.toPublic(user, write.sendWelcomeEmail === true) };
}

/** Cursors are opaque to clients; here base64 of the last id served, so inserts never shift a scan. */
function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64');
}

function decodeCursor(after: string): string {
  const id = Buffer.from(after, 'base64').toString('utf8');
  if (!/^\d+$/.test(id)) throw new HubspotApiError(400, 'VALIDATION_ERROR', 'Invalid paging cursor "after"', [{ message: 'unrecognised cursor', in: 'after' }]);
  return id;
}

function requireScopes(req: ApiRequest, needed: string[]): void {
  const missing = [...new Set(needed)].filter((s) => !req.scopes.has(s));
  if (missing.length === 0) return;
  throw new HubspotApiError(403, 'MISSING_SCOPES', 'This app hasn\'t been granted all required scopes to make this call.', [
    { message: 'missing scopes', context: { requiredGranularScopes: missing } },
  ]);
}

function asObject(body: unknown): UserWrite & { sendWelcomeEmail?: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HubspotApiError(400, 'VALIDATION_ERROR', 'Invalid input JSON: expected an object body');
  }
  return body as UserWrite & { sendWelcomeEmail?: unknown };
}

function notFound(): HubspotApiError {
  return new HubspotApiError(404, 'OBJECT_NOT_FOUND', 'Resource not found');
}

function methodNotAllowed(method: string): HubspotApiError {
  return new HubspotApiError(405, 'VALIDATION_ERROR', `Method ${method} is not allowed on this resource`);
}
