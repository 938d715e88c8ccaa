/**
 * idsync's inbound SCIM 2.0 endpoint (RFC 7644): /scim/v2/Users, /Groups, /ServiceProviderConfig,
 * /Schemas and /ResourceTypes behind a bearer token, plus idsync's own change feed
 * (/scim/idsync/changes, /scim/idsync/cursor) through which other idsync processes read the store
 * (directory-source.ts) without opening its files. It logs nothing about requests.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBoundedBody } from '../../lib/bounded-body';
import { invalidSyntax, invalidValue, notFound, ScimError } from './errors';
import { project, projectionFrom, render, etagOf, locationOf } from './render';
import { ResourceService, type BeforeUserCommit, type WriteResult } from './resources';
import { RESOURCE_TYPES, SCHEMAS, resourceTypeDocuments, schemaDocuments, serviceProviderConfig, type ResourceKind } from './schema';
import type { ScimStore } from './store';

export const SCIM_BASE_PATH = '/scim/v2';
export const FEED_PATH = '/scim/idsync';
export const DEFAULT_SCIM_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_SCIM_MAX_RESULTS = 200;
const CONTENT_TYPE = 'application/scim+json';

export interface ScimServerOptions {
  port: number;
  host?: string;
  /** The bearer token clients must send; at least 16 characters. */
  token: string;
  store: ScimStore;
  maxBodyBytes?: number;
  /** Largest page a list returns (and what ServiceProviderConfig announces). */
  maxResults?: number;
  beforeUserCommit?: BeforeUserCommit;
  /** Called after every committed write (e.g. to nudge a watcher); never fails the request. */
  afterCommit?: () => void;
}

export interface ScimServer {
  /** Base URL of the SCIM service provider, e.g. http://127.0.0.1:8788/scim/v2 */
  url: string;
  port: number;
  close(): Promise<void>;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

function send(res: ServerResponse, status: number, body: Record<string, unknown> | null, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, body ? { ...headers, 'content-type': CONTENT_TYPE } : headers);
  res.end(body ? JSON.stringify(body) : undefined);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function positiveInt(params: URLSearchParams, name: string, fallback: number): number {
  const raw = params.get(name);
  if (raw === null || raw.trim() === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw invalidValue(`${name} must be an integer`);
  return Number(raw);
}

/** A POST .../.search body (RFC 7644 §3.4.3) as the query parameters of the equivalent GET. */
function searchParams(body: unknown): URLSearchParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidSyntax('the request body must be a JSON object');
  const request = body as Record<string, unknown>;
  const params = new URLSearchParams();
  for (const name of ['filter', 'startIndex', 'count', 'attributes', 'excludedAttributes']) {
    const value = request[name];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) params.set(name, value.join(','));
    else if (typeof value === 'string' || typeof value === 'number') params.set(name, String(value));
    else throw invalidValue(`${name} has the wrong type`);
  }
  return params;
}

export async function startScimServer(opts: ScimServerOptions): Promise<ScimServer> {
  if (opts.token.length < 16) throw new Error('the SCIM bearer token must be at least 16 characters');
  const expected = digest(`Bearer ${opts.token}`);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_SCIM_MAX_BODY_BYTES;
  const maxResults = opts.maxResults ?? DEFAULT_SCIM_MAX_RESULTS;
  const service = new ResourceService(opts.store, opts.beforeUserCommit);
  let baseUrl = '';

  /** Constant-time: both sides are hashed to equal length first, so neither length nor content leaks by timing. */
  function authorised(req: IncomingMessage): boolean {
    return timingSafeEqual(digest(header(req, 'authorization') ?? ''), expected);
  }

  async function jsonBody(req: IncomingMessage): Promise<unknown> {
    const body = await readBoundedBody(req, maxBody);
    if (body.tooLarge) throw new ScimError(413, `the request body is larger than ${maxBody} bytes`);
    try {
      return JSON.parse(body.text);
    } catch {
      throw invalidSyntax('the request body is not valid JSON');
    }
  }

  function written(res: ServerResponse, result: WriteResult, status: number): void {
    opts.afterCommit?.();
    const resource = result.resource;
    const held: Record<string, string> = result.held ? { 'x-idsync-held': result.held.batchId } : {};
    if (!resource) {
      // A held leaver: stored, but the access it cuts waits for an operator (as the HTTP intake answers 202).
      if (result.held) send(res, 202, { held: result.held }, held);
      else send(res, 204, null);
      return;
    }
    const body = render(opts.store, baseUrl, resource);
    send(res, result.held ? 202 : status, result.held ? { ...body, 'urn:idsync:held': result.held } : body, { etag: etagOf(resource), location: locationOf(baseUrl, resource), ...held });
  }

  /** kind null: the root /.search over every resource type (RFC 7644 §3.4.3). */
  function listResponse(kind: ResourceKind | null, params: URLSearchParams): Record<string, unknown> {
    const projection = projectionFrom(params);
    const all = kind ? service.list(kind, params.get('filter')) : service.listAll(params.get('filter'));
    const startIndex = Math.max(1, positiveInt(params, 'startIndex', 1));
    const count = Math.min(maxResults, Math.max(0, positiveInt(params, 'count', maxResults)));
    const page = all.slice(startIndex - 1, startIndex - 1 + count);
    return {
      schemas: [SCHEMAS.listResponse],
      totalResults: all.length,
      startIndex,
      itemsPerPage: page.length,
      Resources: page.map((r) => project(render(opts.store, baseUrl, r), projection)),
    };
  }

  async function resources(req: IncomingMessage, res: ServerResponse, kind: ResourceKind, id: string | undefined, params: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const ifMatch = header(req, 'if-match');
    if (id === '.search') {
      if (method !== 'POST') throw new ScimError(405, 'a search is POSTed');
      return send(res, 200, listResponse(kind, searchParams(await jsonBody(req))));
    }
    if (id === undefined) {
      if (method === 'POST') return written(res, await service.create(kind, await jsonBody(req)), 201);
      if (method !== 'GET') throw new ScimError(405, `${method} is not supported on ${RESOURCE_TYPES[kind].endpoint}`);
      return send(res, 200, listResponse(kind, params));
    }
    if (method === 'GET') {
      const resource = service.get(kind, id);
      const ifNoneMatch = header(req, 'if-none-match');
      if (ifNoneMatch && ifNoneMatch.split(',').map((v) => v.trim()).some((v) => v === '*' || v === etagOf(resource))) return send(res, 304, null, { etag: etagOf(resource) });
      return send(res, 200, project(render(opts.store, baseUrl, resource), projectionFrom(params)), { etag: etagOf(resource), location: locationOf(baseUrl, resource) });
    }
    if (method === 'PUT') return written(res, await service.replace(kind, id, await jsonBody(req), ifMatch), 200);
    if (method === 'PATCH') return written(res, await service.patch(kind, id, await jsonBody(req), ifMatch), 200);
    if (method === 'DELETE') return written(res, await service.delete(kind, id, ifMatch), 204);
    throw new ScimError(405, `${method} is not supported on ${RESOURCE_TYPES[kind].endpoint}/{id}`);
  }

  function discovery(res: ServerResponse, segments: string[]): void {
    const [what, id] = segments;
    if (what === 'ServiceProviderConfig' && id === undefined) return send(res, 200, serviceProviderConfig(baseUrl, maxResults, maxBody));
    const documents = what === 'Schemas' ? schemaDocuments(baseUrl) : resourceTypeDocuments(baseUrl);
    if (id === undefined) {
      return send(res, 200, { schemas: [SCHEMAS.listResponse], totalResults: documents.length, startIndex: 1, itemsPerPage: documents.length, Resources: documents });
    }
    const document = documents.find((d) => d.id === decodeURIComponent(id));
    if (!document) throw notFound(what === 'Schemas' ? 'schema' : 'resource type');
    send(res, 200, document);
  }

  /**
   * idsync's change feed: users changed since a store sequence number (since=0: everyone, in one
   * consistent answer, so a full scan never misses someone a concurrent delete shifted between
   * pages), ids removed, groups changed; `groups`: every group with its members resolved.
   */
  function feed(res: ServerResponse, what: string, params: URLSearchParams): void {
    if (what === 'cursor') return send(res, 200, { cursor: opts.store.seq });
    if (what === 'groups') return send(res, 200, { cursor: opts.store.seq, groups: opts.store.directoryGroups() });
    if (what !== 'changes') throw notFound('feed');
    const since = positiveInt(params, 'since', 0);
    const changes = opts.store.changesSince(since);
    send(res, 200, { ...changes, users: changes.users.map((u) => render(opts.store, baseUrl, u)) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://scim.invalid');
    const path = url.pathname.replace(/\/+$/, '');
    const inFeed = path.startsWith(`${FEED_PATH}/`);
    if (!path.startsWith(`${SCIM_BASE_PATH}/`) && !inFeed) throw notFound(`${SCIM_BASE_PATH}/... path`);
    if (!authorised(req)) throw new ScimError(401, 'a valid bearer token is required (Authorization: Bearer ...)', undefined, { 'www-authenticate': 'Bearer realm="idsync-scim"' });
    const segments = path.slice((inFeed ? FEED_PATH : SCIM_BASE_PATH).length + 1).split('/');
    if (inFeed) {
      if (req.method !== 'GET' || segments.length !== 1) throw new ScimError(405, 'the feed is read with GET');
      return feed(res, segments[0]!, url.searchParams);
    }
    const [first, id, ...rest] = segments;
    if (rest.length > 0) throw notFound('path');
    if (first === '.search' && id === undefined) {
      if (req.method !== 'POST') throw new ScimError(405, 'a search is POSTed');
      return send(res, 200, listResponse(null, searchParams(await jsonBody(req))));
    }
    if (first === 'Users' || first === 'Groups') return resources(req, res, first === 'Users' ? 'User' : 'Group', id === undefined ? undefined : decodeURIComponent(id), url.searchParams);
    if (first === 'ServiceProviderConfig' || first === 'Schemas' || first === 'ResourceTypes') {
      if (req.method !== 'GET') throw new ScimError(405, `${first} is read-only`);
      return discovery(res, [first, ...(id === undefined ? [] : [id])]);
    }
    throw notFound(`endpoint /${first ?? ''}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof ScimError) send(res, err.status, err.body(), err.headers);
      else send(res, 500, new ScimError(500, 'internal error; nothing was changed unless a later read shows it').body());
    });
  });
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  baseUrl = `http://${address.includes(':') ? `[${address}]` : address}:${port}${SCIM_BASE_PATH}`;
  return {
    url: baseUrl,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
