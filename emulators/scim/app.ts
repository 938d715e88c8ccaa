/**
 * Express wiring of the SCIM service-provider emulator: scimmy-routers for the protocol (schema
 * validation, PatchOp, ListResponse, discovery), wrapped by middleware for what the library leaves
 * to the provider (contract scim.md §5): bearer auth, page-size policy, If-Match/412, Location and
 * ETag headers, the 200-or-204 PATCH switch and fault injection.
 * scimmy is a process-wide singleton, so one process hosts exactly one SCIM emulator.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import { EMULATOR_ADMIN_PREFIX, type FaultController, type FaultSettings } from '../faults';
import { GROUP_FILTER_ATTRIBUTES, InvalidFilterError, USER_FILTER_ATTRIBUTES, parseFilter, type FilterableAttributes, type FilterNode } from './filter';
import { scimError, type ScimStore, type StoredResource } from './store';

export const SCIM_BASE_PATH = '/scim/v2';

interface ScimContext {
  method: string;
  /** Set by a list egress that answered with one page only: what the ListResponse must say. */
  listPage?: { startIndex: number; totalResults: number };
}

/** The request's context, kept in res.locals so the response middleware sees what egress set. */
function contextOf(res: Response): ScimContext | undefined {
  return res.locals.scim as ScimContext | undefined;
}

function scimErrorBody(status: number, detail: string, scimType?: string) {
  return { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

function parseOrReject(filter: { expression?: string } | undefined, attributes: FilterableAttributes): FilterNode | undefined {
  if (!filter?.expression) return undefined;
  try {
    return parseFilter(filter.expression, attributes);
  } catch (err) {
    if (err instanceof InvalidFilterError) throw scimError(400, 'invalidFilter', err.message);
    throw err;
  }
}

interface ListedResource {
  id?: string;
  filter?: { expression?: string };
  /** scimmy's form of `attributes=a,b` ("a pr and b pr") or `excludedAttributes=a` ("a np"). */
  attributes?: { expression?: string };
  constraints?: { sortBy?: string; startIndex?: number; count?: number };
}

/**
 * egress: one resource by id (404 if absent) or the filtered list. A paged, unsorted list renders
 * only the requested page: scimmy builds a schema instance of every resource egress returns, which
 * for 10,000 users took seconds per page. scimmy's ListResponse would then page the page again, so
 * it is told the page starts at 1, and the response middleware restores the requested startIndex
 * and the filter's totalResults (ctx.listPage). Sorted lists (sortBy) stay with scimmy whole.
 */
function readResources(store: ScimStore, type: 'User' | 'Group', resource: ListedResource, ctx: ScimContext | undefined) {
  const isUser = type === 'User';
  if (resource.id) {
    const stored = (isUser ? store.users : store.groups).get(resource.id);
    if (!stored) throw scimError(404, null, `${type} ${resource.id} not found`);
    return isUser ? store.userView(stored) : store.groupView(stored);
  }
  const matching = isUser
    ? store.matchingUsers(parseOrReject(resource.filter, USER_FILTER_ATTRIBUTES))
    : store.matchingGroups(parseOrReject(resource.filter, GROUP_FILTER_ATTRIBUTES));
  const withMembers = asksForMembers(resource);
  const view = (stored: StoredResource) => (isUser ? store.userView(stored) : store.groupView(stored, withMembers));
  const { sortBy, startIndex, count } = resource.constraints ?? {};
  if (!ctx || sortBy !== undefined || startIndex === undefined || count === undefined) return matching.map(view);
  ctx.listPage = { startIndex, totalResults: matching.length };
  resource.constraints = { ...resource.constraints, startIndex: 1 };
  return matching.slice(startIndex - 1, startIndex - 1 + count).map(view);
}

/** Whether a request's attributes / excludedAttributes leave `members` in the answer (scimmy drops what was not asked for). */
function asksForMembers(resource: ListedResource): boolean {
  const expression = resource.attributes?.expression;
  if (!expression) return true;
  const terms = expression.split(/\s+and\s+/i).map((term) => term.trim().split(/\s+/));
  const mentioned = terms.some(([name]) => /^(urn:ietf:params:scim:schemas:core:2\.0:group:)?members(\.|$)/i.test(name ?? ''));
  return terms[0]?.[1]?.toLowerCase() === 'np' ? !mentioned : mentioned;
}

/** Declares Users and Groups on the process-wide scimmy instance, backed by `store`. Call once per process. */
export function declareScimResources(store: ScimStore): void {
  SCIMMY.Resources.declare(SCIMMY.Resources.User).extend(SCIMMY.Schemas.EnterpriseUser, false);
  SCIMMY.Resources.User.ingress((resource, instance) => store.userView(store.saveUser(resource.id, instance as never)) as never)
    .egress((resource, ctx) => readResources(store, 'User', resource, ctx as ScimContext | undefined) as never)
    .degress((resource) => store.deleteUser(String(resource.id)));

  SCIMMY.Resources.declare(SCIMMY.Resources.Group);
  SCIMMY.Resources.Group.ingress((resource, instance, ctx) => {
    const method = (ctx as ScimContext | undefined)?.method;
    if (store.switches.groupsReadOnly) {
      const existing = resource.id ? store.groups.get(resource.id) : undefined;
      const renamed = existing && String((instance as { displayName?: string }).displayName) !== String(existing.data.displayName);
      if (method === 'POST' || method === 'PUT' || renamed) throw scimError(403, null, 'groups are defined by the service provider; only membership can change');
    }
    return store.groupView(store.saveGroup(resource.id, instance as never)) as never;
  })
    .egress((resource, ctx) => readResources(store, 'Group', resource, ctx as ScimContext | undefined) as never)
    .degress((resource) => {
      if (store.switches.groupsReadOnly) throw scimError(403, null, 'groups are defined by the service provider');
      store.deleteGroup(String(resource.id));
    });
}

function bearerAuth(token: string): RequestHandler {
  return (req, res, next) => {
    const header = req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match && match[1] === token) return next();
    res.status(401).set('WWW-Authenticate', 'Bearer realm="scim"').type('application/scim+json').send(scimErrorBody(401, 'authentication required'));
  };
}

/** SP-chosen default page size and cap, applied before scimmy paginates. */
function pagePolicy(store: ScimStore): RequestHandler {
  return (req, _res, next) => {
    if (req.method === 'GET' && /^\/(Users|Groups)\/?$/.test(req.path)) {
      const requested = req.query.count === undefined ? NaN : Number(req.query.count);
      const count = Number.isNaN(requested) ? store.switches.defaultPageSize : Math.min(Math.max(0, Math.trunc(requested)), store.switches.maxPageSize);
      req.query.count = String(count);
      const startIndex = Number(req.query.startIndex);
      req.query.startIndex = String(Number.isNaN(startIndex) || startIndex < 1 ? 1 : Math.trunc(startIndex));
    }
    next();
  };
}

function resourceOf(store: ScimStore, path: string) {
  const m = /^\/(Users|Groups)\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  return { type: m[1], id: m[2], stored: (m[1] === 'Users' ? store.users : store.groups).get(m[2]) };
}

/** If-Match on writes (only when the etag switch is on): a stale version is a 412. */
function versionCheck(store: ScimStore): RequestHandler {
  return (req, res, next) => {
    if (!store.switches.etag || !['PUT', 'PATCH', 'DELETE'].includes(req.method)) return next();
    const ifMatch = req.header('if-match');
    const target = resourceOf(store, req.path);
    if (!ifMatch || ifMatch.trim() === '*' || !target?.stored) return next();
    const current = store.versionTag(target.stored);
    const offered = ifMatch.split(',').map((v) => v.trim());
    if (offered.includes(current)) return next();
    store.versionConflicts += 1;
    res.status(412).type('application/scim+json').send(scimErrorBody(412, `${target.type} ${target.id} has version ${current}, not ${ifMatch}`));
  };
}

/** Adds Location on create, ETag on single resources, and applies the PATCH status switch. */
function responseHeaders(store: ScimStore): RequestHandler {
  return (req, res, next) => {
    // Nested routers rewrite req.path, so remember which resource this request addressed.
    const path = req.path;
    const send = res.send.bind(res);
    res.send = ((body?: unknown) => {
      if (typeof body === 'string' || Buffer.isBuffer(body)) return send(body);
      const listPage = contextOf(res)?.listPage;
      if (listPage && Array.isArray((body as { Resources?: unknown } | undefined)?.Resources)) Object.assign(body as object, listPage);
      if (req.method === 'PATCH' && res.statusCode < 300) {
        if (store.switches.patchStatus === 204) {
          res.status(204);
          return send();
        }
        if (res.statusCode === 204) {
          // scimmy answers 204 when nothing changed; this SP always returns the resource.
          const target = resourceOf(store, path);
          if (target?.stored) {
            const Schema = target.type === 'Users' ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
            const basepath = String(target.type === 'Users' ? SCIMMY.Resources.User.basepath() : SCIMMY.Resources.Group.basepath());
            const view = target.type === 'Users' ? store.userView(target.stored) : store.groupView(target.stored);
            body = new Schema(view, 'out', basepath);
            res.status(200);
          }
        }
      }
      const list = body as { totalResults?: number; Resources?: unknown[] } | undefined;
      if (store.switches.omitEmptyResources && list?.totalResults === 0) {
        body = { ...list, Resources: undefined };
      }
      const meta = (body as { meta?: { location?: string; version?: string } } | undefined)?.meta;
      if (req.method === 'POST' && res.statusCode === 201 && meta?.location) res.location(meta.location);
      if (store.switches.etag && meta?.version) res.setHeader('ETag', meta.version);
      return send(body);
    }) as Response['send'];
    next();
  };
}

/** The /scim/v2 router: auth and provider policy in front of scimmy-routers. */
export function createScimRouter(store: ScimStore, token: string): express.Router {
  const router = express.Router();
  router.use(bearerAuth(token), pagePolicy(store), versionCheck(store), responseHeaders(store));
  if (store.switches.serviceProviderConfigPath === 'ServiceProviderConfigs') {
    router.get('/ServiceProviderConfig', (_req, res) => void res.status(404).type('application/scim+json').send(scimErrorBody(404, 'Endpoint Not Found')));
    router.get('/ServiceProviderConfigs', (req, _res, next) => {
      req.url = '/ServiceProviderConfig';
      next();
    });
  }
  if (!store.switches.patchSupported) {
    router.patch('*', (_req, res) => void res.status(501).type('application/scim+json').send(scimErrorBody(501, 'PATCH is not supported by this service provider')));
  }
  router.use(new SCIMMYRouters({ type: 'bearer', handler: () => 'emulator', baseUri: (req: Request) => `${req.protocol}://${req.get('host')}`, context: (req: Request) => (req.res!.locals.scim = { method: req.method } satisfies ScimContext) }) as unknown as express.Router);
  // After the routers so that it overrides what mounting them advertised.
  SCIMMY.Config.set({
    documentationUri: 'https://idsync.invalid/emulators/scim',
    patch: store.switches.patchSupported,
    bulk: false,
    sort: false,
    changePassword: false,
    filter: { supported: true, maxResults: store.switches.maxPageSize },
    etag: store.switches.etag,
  });
  return router;
}

export interface FaultReplies {
  serverError(res: Response): void;
  rateLimit(res: Response): void;
}

/** Answers injected faults in the emulated API's own style; dropAfterWrite lets the write happen, then cuts the connection. */
export function faultInjection(faults: FaultController, replies: FaultReplies): RequestHandler {
  return async (req, res, next) => {
    await faults.delay();
    const fault = faults.next(!['GET', 'HEAD', 'OPTIONS'].includes(req.method));
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault === 'serverError') return replies.serverError(res);
    if (fault === 'rateLimit') return replies.rateLimit(res);
    if (fault === 'dropAfterWrite') {
      res.end = (() => {
        req.socket.destroy();
        return res;
      }) as Response['end'];
    }
    next();
  };
}

export function scimFaultReplies(retryAfterSeconds: number): FaultReplies {
  return {
    serverError: (res) => res.status(503).type('application/scim+json').send(scimErrorBody(503, 'service temporarily unavailable (injected)')),
    rateLimit: (res) =>
      res.status(429).set('Retry-After', String(retryAfterSeconds)).type('application/scim+json').send(scimErrorBody(429, 'too many requests (injected)')),
  };
}

/** `GET/PUT/DELETE /__emulator/faults`, `GET /__emulator/state` (+ emulator-specific routes): loopback-only steering for tests and the demo. */
export function adminRouter(faults: FaultController, state: () => unknown, extend?: (router: express.Router) => void): express.Router {
  const router = express.Router();
  router.use(express.json());
  const report = () => ({ settings: faults.current, injected: faults.injected });
  router.get('/faults', (_req, res) => res.json(report()));
  router.put('/faults', (req, res) => {
    faults.set(req.body as Partial<FaultSettings>);
    res.json(report());
  });
  router.delete('/faults', (_req, res) => {
    faults.reset();
    res.json(report());
  });
  router.get('/state', (_req, res) => res.json({ ...(state() as object), faults: report() }));
  extend?.(router);
  return router;
}

export interface EmulatorMount {
  path: string;
  replies: FaultReplies;
  router: express.Router;
}

/**
 * Admin endpoints first (never faulted), then each API behind fault injection in its own wire style.
 * `afterWrite` runs when any request that may change state (not GET/HEAD/OPTIONS) has finished or
 * was cut off, so a state file can be rewritten.
 */
export function createEmulatorApp(faults: FaultController, admin: express.Router, mounts: EmulatorMount[], afterWrite?: () => void): express.Express {
  const app = express();
  app.set('etag', false);
  app.set('x-powered-by', false);
  if (afterWrite) {
    app.use((req, res, next) => {
      if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) res.once('close', afterWrite);
      next();
    });
  }
  app.use(EMULATOR_ADMIN_PREFIX, admin);
  for (const mount of mounts) app.use(mount.path, faultInjection(faults, mount.replies), mount.router);
  return app;
}

/** A complete single-SP app: the SCIM API under /scim/v2. */
export function createScimApp(store: ScimStore, token: string, faults: FaultController, afterWrite?: () => void): express.Express {
  return createEmulatorApp(
    faults,
    adminRouter(faults, () => store.snapshot()),
    [{ path: SCIM_BASE_PATH, replies: scimFaultReplies(store.switches.retryAfterSeconds), router: createScimRouter(store, token) }],
    afterWrite,
  );
}
