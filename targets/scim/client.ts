/**
 * A small SCIM 2.0 client (RFC 7644) shared by every SCIM-provisioned target. It reads the
 * ServiceProviderConfig once to learn whether the SP versions resources (then writes carry
 * If-Match), whether it filters, and how large pages may be, pages by advancing startIndex by
 * what was actually received, and turns every non-2xx answer into a TargetHttpError that the
 * connector classifies.
 * It never retries a failed request on its own (Temporal's activity retries do, honouring
 * Retry-After); it only re-reads a resource when emulating PATCH by PUT met a newer version.
 */
import { TargetHttpError, exchangeJson } from './http';
import { applyOperations } from './put-fallback';
import { SCIM_PATCH_SCHEMA } from './urns';

export { TargetHttpError } from './http';

const MEDIA_TYPE = 'application/scim+json';
/** Re-reads of a resource whose unconditional PUT met a newer version (see putChanged). */
const PUT_CONFLICT_ATTEMPTS = 3;

export interface ScimResource {
  id: string;
  meta?: { version?: string; location?: string; created?: string; lastModified?: string };
  [attribute: string]: unknown;
}

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path?: string;
  value?: unknown;
}

export interface ProviderFeatures {
  etag: boolean;
  patch: boolean;
  /** RFC 7643 §5 makes filtering optional: without it idsync lists and matches itself. */
  filter: boolean;
  /** Largest page the SP promises (filter.maxResults), if it says. */
  maxResults?: number;
}

export interface ScimClientOptions {
  baseUrl: string;
  token: string;
  pageSize: number;
  timeoutMs: number;
}

export class ScimClient {
  private readonly baseUrl: string;
  private features?: Promise<ProviderFeatures>;

  constructor(private readonly options: ScimClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** Path of a resource relative to the base URL, e.g. "/Users/abc". */
  static resourcePath(endpoint: '/Users' | '/Groups', id: string): string {
    return `${endpoint}/${encodeURIComponent(id)}`;
  }

  private async send(method: string, path: string, init: { body?: unknown; ifMatch?: string } = {}): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, accept: `${MEDIA_TYPE}, application/json` };
    if (init.ifMatch) headers['if-match'] = init.ifMatch;
    return exchangeJson({ service: 'SCIM', method, url: `${this.baseUrl}${path}`, headers, body: init.body, contentType: MEDIA_TYPE, timeoutMs: this.options.timeoutMs });
  }

  /** Discovery under the RFC name, else the plural some SPs (Salesforce) use. */
  private async serviceProviderConfig(): Promise<unknown> {
    try {
      return (await this.send('GET', '/ServiceProviderConfig')).body;
    } catch (err) {
      if (!(err instanceof TargetHttpError && err.status === 404)) throw err;
      return (await this.send('GET', '/ServiceProviderConfigs')).body;
    }
  }

  /** What the SP advertises; an SP without the endpoint is assumed to support PATCH and filters, and no ETags. */
  providerFeatures(): Promise<ProviderFeatures> {
    this.features ??= this.serviceProviderConfig()
      .then((body) => {
        const config = body as { etag?: { supported?: boolean }; patch?: { supported?: boolean }; filter?: { supported?: boolean; maxResults?: number } };
        return {
          etag: config.etag?.supported === true,
          patch: config.patch?.supported !== false,
          filter: config.filter?.supported !== false,
          maxResults: config.filter?.maxResults,
        };
      })
      .catch((err: unknown) => {
        this.features = undefined;
        if (err instanceof TargetHttpError && (err.status === 404 || err.status === 501)) return { etag: false, patch: true, filter: true };
        throw err;
      });
    return this.features;
  }

  private async ifMatch(resource: ScimResource | undefined): Promise<string | undefined> {
    if (!resource?.meta?.version) return undefined;
    return (await this.providerFeatures()).etag ? resource.meta.version : undefined;
  }

  async get(endpoint: '/Users' | '/Groups', id: string): Promise<ScimResource | null> {
    try {
      return (await this.send('GET', ScimClient.resourcePath(endpoint, id))).body as ScimResource;
    } catch (err) {
      if (err instanceof TargetHttpError && err.status === 404) return null;
      throw err;
    }
  }

  /** Every resource matching `filter`, page by page. */
  async *list(endpoint: '/Users' | '/Groups', query: { filter?: string; attributes?: string } = {}): AsyncGenerator<ScimResource> {
    const features = await this.providerFeatures();
    const count = Math.min(this.options.pageSize, features.maxResults ?? this.options.pageSize);
    let startIndex = 1;
    let seen = 0;
    for (;;) {
      const params = new URLSearchParams({ startIndex: String(startIndex), count: String(count) });
      if (query.filter) params.set('filter', query.filter);
      if (query.attributes) params.set('attributes', query.attributes);
      const { body } = await this.send('GET', `${endpoint}?${params.toString()}`);
      const page = body as { totalResults?: number; Resources?: ScimResource[] };
      const resources = page.Resources ?? [];
      for (const resource of resources) yield resource;
      seen += resources.length;
      // The SP may cap the page below what we asked for: advance by what actually came back.
      if (resources.length === 0 || seen >= (page.totalResults ?? 0)) return;
      startIndex += resources.length;
    }
  }

  async listAll(endpoint: '/Users' | '/Groups', query: { filter?: string; attributes?: string } = {}): Promise<ScimResource[]> {
    const all: ScimResource[] = [];
    for await (const resource of this.list(endpoint, query)) all.push(resource);
    return all;
  }

  /**
   * The resources whose `attribute` equals `value`: case-exactly for externalId (RFC 7643 §3.1),
   * ignoring case for userName and displayName. The SP filters where it can, and what it returns is
   * checked again here in case its filter is lenient; an SP that does not filter is read in full.
   */
  async findEqual(endpoint: '/Users' | '/Groups', attribute: 'externalId' | 'userName' | 'displayName', value: string): Promise<ScimResource[]> {
    const equal = attribute === 'externalId' ? (v: unknown) => v === value : (v: unknown) => typeof v === 'string' && v.toLowerCase() === value.toLowerCase();
    const query = (await this.providerFeatures()).filter ? { filter: `${attribute} eq ${scimString(value)}` } : {};
    const found: ScimResource[] = [];
    for await (const resource of this.list(endpoint, query)) if (equal(resource[attribute])) found.push(resource);
    return found;
  }

  async create(endpoint: '/Users' | '/Groups', resource: Record<string, unknown>): Promise<ScimResource> {
    return (await this.send('POST', endpoint, { body: resource })).body as ScimResource;
  }

  /**
   * PATCH. `conditional` sends If-Match (when the SP versions resources) so a write computed from a
   * stale read fails with 412 instead of overwriting someone else's change; member add/remove
   * operations are merged by the SP and need no condition. Without PATCH support at the SP the
   * change is sent as a PUT of the full resource (putChanged). Returns the new resource if the SP
   * sent it (200; RFC 7644 §3.5.2 also allows 204 without a body).
   */
  async patch(endpoint: '/Users' | '/Groups', current: ScimResource, operations: PatchOperation[], conditional = true): Promise<ScimResource | undefined> {
    if (!(await this.providerFeatures()).patch) return this.putChanged(endpoint, current, operations, conditional);
    const ifMatch = conditional ? await this.ifMatch(current) : undefined;
    const { body } = await this.send('PATCH', ScimClient.resourcePath(endpoint, current.id), { body: { schemas: [SCIM_PATCH_SCHEMA], Operations: operations }, ifMatch });
    return body && typeof body === 'object' ? (body as ScimResource) : undefined;
  }

  /**
   * PATCH emulated by a read, the operations applied, and a PUT of the whole resource. A PUT replaces
   * everything, members included, so it always carries the version it was built from (when the SP
   * versions resources): a change someone made in between is never overwritten. A conditional
   * write's 412 goes to the caller, whose operations came from its own read; unconditional ones
   * (member add/remove, right on any version) are applied again to a fresh read, a bounded number of
   * times. An SP without PATCH and without ETags cannot be protected this way.
   */
  private async putChanged(endpoint: '/Users' | '/Groups', current: ScimResource, operations: PatchOperation[], conditional: boolean): Promise<ScimResource | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      // Listings may carry only some attributes: PUT what the SP has now, changed by the operations.
      const full = (await this.get(endpoint, current.id)) ?? current;
      const ifMatch = (conditional ? await this.ifMatch(current) : undefined) ?? (await this.ifMatch(full));
      try {
        const { body } = await this.send('PUT', ScimClient.resourcePath(endpoint, current.id), { body: applyOperations(full, operations), ifMatch });
        return body && typeof body === 'object' ? (body as ScimResource) : undefined;
      } catch (err) {
        if (conditional || !(err instanceof TargetHttpError && err.status === 412) || attempt >= PUT_CONFLICT_ATTEMPTS) throw err;
      }
    }
  }

  /** DELETE; an already absent resource counts as deleted. */
  async delete(endpoint: '/Users' | '/Groups', current: ScimResource): Promise<void> {
    try {
      await this.send('DELETE', ScimClient.resourcePath(endpoint, current.id), { ifMatch: await this.ifMatch(current) });
    } catch (err) {
      if (err instanceof TargetHttpError && err.status === 404) return;
      throw err;
    }
  }
}

/** A SCIM filter string literal. */
export function scimString(value: string): string {
  return JSON.stringify(value);
}
