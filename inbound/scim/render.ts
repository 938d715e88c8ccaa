/**
 * Stored resources as clients see them (RFC 7643 §3.1): id, the stored attributes, a user's groups
 * (computed from the groups' members, never stored on the user) and meta with the version (ETag).
 * `attributes` / `excludedAttributes` (RFC 7644 §3.9) narrow the answer; id and schemas always stay.
 */
import { invalidValue } from './errors';
import { RESOURCE_TYPES } from './schema';
import type { ScimStore, StoredResource } from './store';
import type { Json } from './validate';

export const etagOf = (resource: StoredResource) => `W/"${resource.seq}"`;

export function locationOf(baseUrl: string, resource: Pick<StoredResource, 'kind' | 'id'>): string {
  return `${baseUrl}${RESOURCE_TYPES[resource.kind].endpoint}/${resource.id}`;
}

export function render(store: ScimStore, baseUrl: string, resource: StoredResource): Json {
  const { schemas, ...attributes } = resource.body;
  const out: Json = { schemas, id: resource.id, ...attributes };
  if (resource.kind === 'User') {
    const groups = store.groupsOf(resource.id).map((g) => ({ value: g.id, $ref: `${baseUrl}/Groups/${g.id}`, display: g.name, type: g.direct ? 'direct' : 'indirect' }));
    if (groups.length > 0) out.groups = groups;
  }
  out.meta = { resourceType: resource.kind, created: resource.created, lastModified: resource.lastModified, version: etagOf(resource), location: locationOf(baseUrl, resource) };
  return out;
}

const ALWAYS = new Set(['id', 'schemas']);

/** "name.givenName,emails" -> lower-cased paths; a URN-qualified path keeps its URN as the first segment. */
function parseList(text: string | null): string[] | null {
  if (text === null || text.trim() === '') return null;
  return text.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '').map((p) => p.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/, ''));
}

function splitPath(path: string): [string, string | undefined] {
  const urn = /^(urn:ietf:params:scim:schemas:extension:enterprise:2\.0:user)(?::(.+))?$/.exec(path);
  if (urn) return [urn[1]!, urn[2]];
  const dot = path.indexOf('.');
  return dot < 0 ? [path, undefined] : [path.slice(0, dot), path.slice(dot + 1)];
}

function pick(value: unknown, sub: string, keep: boolean): unknown {
  const one = (v: unknown) => {
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).filter(([k]) => (k.toLowerCase() === sub) === keep));
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

export interface Projection {
  attributes: string[] | null;
  excluded: string[] | null;
}

export function projectionFrom(params: URLSearchParams): Projection {
  const attributes = parseList(params.get('attributes'));
  const excluded = parseList(params.get('excludedAttributes'));
  if (attributes && excluded) throw invalidValue('use attributes or excludedAttributes, not both');
  return { attributes, excluded };
}

export function project(resource: Json, projection: Projection): Json {
  const { attributes, excluded } = projection;
  if (!attributes && !excluded) return resource;
  const out: Json = {};
  for (const [key, value] of Object.entries(resource)) {
    const lower = key.toLowerCase();
    if (ALWAYS.has(lower)) {
      out[key] = value;
      continue;
    }
    const paths = (attributes ?? excluded!).map(splitPath).filter(([top]) => top === lower);
    if (attributes) {
      if (paths.length === 0) continue;
      const subs = paths.map(([, sub]) => sub);
      out[key] = subs.includes(undefined) ? value : subs.reduce<unknown>((acc, sub) => mergePicked(acc, pick(value, sub!, true)), undefined);
    } else if (paths.length === 0) out[key] = value;
    else if (!paths.some(([, sub]) => sub === undefined)) out[key] = paths.reduce<unknown>((acc, [, sub]) => pick(acc, sub!, false), value);
  }
  return out;
}

function mergePicked(acc: unknown, next: unknown): unknown {
  if (acc === undefined) return next;
  if (Array.isArray(acc) && Array.isArray(next)) return acc.map((a, i) => ({ ...(a as Json), ...(next[i] as Json) }));
  return { ...(acc as Json), ...(next as Json) };
}
