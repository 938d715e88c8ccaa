import { nonRetryable, redact, retryable } from '../../lib/errors';
import type { OtdsDirectoryConfig } from '../config';
import * as api from './protocol';

type Query = Record<string, string | undefined>;
type Credential = { kind: 'ticket' | 'bearer'; value: string };

const CTX = { target: 'otds' } as const;

/** `status` and `error` of an OTDS error body ({status, error, errorDetails}); errorDetails is never repeated. */
function describeErrorBody(text: string): { status?: number; error?: string; summary: string } {
  try {
    const body = JSON.parse(text) as api.OtdsErrorBody;
    if (body && typeof body === 'object' && (body.status !== undefined || body.error !== undefined)) {
      const error = typeof body.error === 'string' ? redact(body.error).slice(0, 200) : undefined;
      const summary = [body.status !== undefined ? `status ${body.status}` : '', error ?? ''].filter(Boolean).join(': ');
      return { status: typeof body.status === 'number' ? body.status : undefined, error: body.error, summary };
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): only its first characters, redacted.
  }
  return { summary: redact(text.replace(/\s+/g, ' ').slice(0, 120)) };
}

/** Whether an answer means "your ticket or token is no longer valid": 401, or OTDS's 400 with status 1034. */
function isExpiredCredential(status: number, body: ReturnType<typeof describeErrorBody>): boolean {
  return status === 401 || (status === 400 && (body.status === api.EXPIRED_TICKET_STATUS || body.error === api.EXPIRED_TICKET_ERROR));
}

/**
 * HTTP side of the OTDS source: authentication (ticket or OAuth2 bearer), one re-authentication
 * when the credential expired, error classification, and cookie paging. Secrets are read from the
 * environment variable named in config when they are needed and never appear in messages.
 */
export class OtdsClient {
  private credential: Promise<Credential> | null = null;
  /** Requests sent, for cost reports (pages, re-authentications). */
  readonly stats = { requests: 0, authentications: 0 };

  constructor(
    private readonly config: OtdsDirectoryConfig,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private url(path: string, query: Query = {}): string {
    const url = new URL(path, this.config.baseUrl);
    // URLSearchParams percent-encodes the opaque cookie's "/", "+" and "=".
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return url.toString();
  }

  private secret(envName: string, field: string, what: string): string {
    const value = this.env[envName];
    if (!value) throw nonRetryable('ConfigError', `environment variable ${envName} (${what}) is not set`, { ...CTX, field });
    return value;
  }

  private async post(path: string, init: { headers: Record<string, string>; body: string }): Promise<Response> {
    this.stats.requests++;
    this.stats.authentications++;
    try {
      return await fetch(this.url(path), { method: 'POST', ...init, signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (err) {
      throw retryable('DirectoryUnavailable', `OTDS authentication failed: ${redact((err as Error).message)}`, CTX);
    }
  }

  private async authenticate(): Promise<Credential> {
    const oauth2 = this.config.oauth2;
    let res: Response;
    let who: { field: string; name: string };
    if (oauth2) {
      who = { field: 'directory.oauth2.clientId', name: `OAuth2 client ${oauth2.clientId}` };
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: oauth2.clientId, client_secret: this.secret(oauth2.clientSecretEnv, 'directory.oauth2.clientSecretEnv', 'OTDS OAuth2 client secret') });
      if (oauth2.scope) form.set('scope', oauth2.scope);
      res = await this.post(api.OAUTH2_TOKEN_PATH, { headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString() });
    } else {
      const username = this.config.username!;
      who = { field: 'directory.username', name: username };
      const password = this.secret(this.config.passwordEnv!, 'directory.passwordEnv', 'OTDS password');
      res = await this.post(api.CREDENTIALS_PATH, { headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ userName: username, password }) });
    }
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      const body = describeErrorBody(await res.text());
      throw nonRetryable('PermissionDenied', `OTDS refused the credentials of ${who.name}${body.summary ? ` (${body.summary})` : ''}`, { ...CTX, field: who.field });
    }
    if (!res.ok) throw retryable('DirectoryUnavailable', `OTDS authentication answered HTTP ${res.status}`, CTX);
    if (oauth2) {
      const token = ((await res.json()) as api.OtdsTokenAnswer).access_token;
      if (!token) throw retryable('DirectoryUnavailable', 'OTDS token endpoint returned no access_token', CTX);
      return { kind: 'bearer', value: token };
    }
    const ticket = ((await res.json()) as { ticket?: string }).ticket;
    if (!ticket) throw retryable('DirectoryUnavailable', 'OTDS authentication returned no ticket', CTX);
    return { kind: 'ticket', value: ticket };
  }

  private current(): Promise<Credential> {
    if (!this.credential) {
      const pending = this.authenticate();
      this.credential = pending;
      pending.catch(() => {
        if (this.credential === pending) this.credential = null;
      });
    }
    return this.credential;
  }

  /**
   * GET a JSON answer; null on 404. An expired ticket or token (401, or 400 with status 1034) is
   * renewed once and the request repeated; a second refusal is PermissionDenied.
   */
  async get<T>(path: string, query: Query = {}, what = path): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      const used = this.current();
      const credential = await used;
      const headers: Record<string, string> = { accept: 'application/json' };
      if (credential.kind === 'ticket') headers.cookie = `${api.TICKET_COOKIE}=${credential.value}`;
      else headers.authorization = `Bearer ${credential.value}`;
      let res: Response;
      this.stats.requests++;
      try {
        res = await fetch(this.url(path, query), { headers, signal: AbortSignal.timeout(this.config.timeoutMs) });
      } catch (err) {
        throw retryable('DirectoryUnavailable', `OTDS ${what} failed: ${redact((err as Error).message)}`, CTX);
      }
      if (res.ok) return (await res.json()) as T;
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      const body = describeErrorBody(await res.text());
      const expired = isExpiredCredential(res.status, body);
      if (expired && attempt === 0) {
        // Only the request that saw the expiry renews; others waiting on the same credential reuse the new one.
        if (this.credential === used) this.credential = null;
        continue;
      }
      const message = `OTDS ${what} answered HTTP ${res.status}${body.summary ? ` (${body.summary})` : ''}`;
      if (res.status === 429 || res.status >= 500) throw retryable('DirectoryUnavailable', message, CTX);
      // Refused again with a fresh ticket or token: the account itself may not read this.
      if (expired || res.status === 403) throw nonRetryable('PermissionDenied', message, CTX);
      // Any other 4xx answers a request built from configuration (partition, state, page size).
      throw nonRetryable('ConfigError', message, { ...CTX, field: 'directory' });
    }
  }

  /**
   * Every page of a list: `page_size` per request, each next request carrying the previous answer's
   * opaque `nextPageCookie`. A cookie the server repeats would loop forever, so it fails instead.
   */
  async *pages<T extends api.OtdsPage>(path: string, query: Query = {}, what = path): AsyncIterable<T> {
    const seen = new Set<string>();
    let cookie: string | undefined;
    for (;;) {
      const page = await this.get<T>(path, { ...query, [api.PARAM.pageSize]: String(this.config.pageSize), [api.PARAM.nextPageCookie]: cookie }, what);
      if (!page) return;
      yield page;
      const next = page.nextPageCookie ?? undefined;
      if (!next) return;
      if (seen.has(next)) throw retryable('DirectoryUnavailable', `OTDS ${what} returned a page cookie it had already returned; paging stopped instead of looping`, CTX);
      seen.add(next);
      cookie = next;
    }
  }

  forget(): void {
    this.credential = null;
  }
}
