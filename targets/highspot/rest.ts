/**
 * Highspot REST v1.0 read side: the one thing SCIM does not tell us, a user's last activity.
 * Paths, parameters and field names come from the provisional assumed-contract module.
 */
import { exchangeJson } from '../scim/http';
import { HIGHSPOT_REST, restUserFacts } from './assumed-contract';

export interface HighspotRestOptions {
  restBaseUrl: string;
  apiKey: string;
  apiSecret: string;
  timeoutMs: number;
}

export class HighspotRestReader {
  private readonly authorization: string;
  private readonly baseUrl: string;

  constructor(private readonly options: HighspotRestOptions) {
    this.authorization = `Basic ${Buffer.from(`${options.apiKey}:${options.apiSecret}`).toString('base64')}`;
    this.baseUrl = options.restBaseUrl.replace(/\/+$/, '');
  }

  /** One REST call (PROVISIONAL paths from assumed-contract.ts); non-2xx answers throw TargetHttpError. */
  async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const { body: answer } = await exchangeJson({
      service: 'Highspot REST',
      method,
      url: `${this.baseUrl}${path}`,
      headers: { authorization: this.authorization, accept: 'application/json' },
      ...(body !== undefined ? { body } : {}),
      timeoutMs: this.options.timeoutMs,
    });
    return answer;
  }

  /** Every item of a collection path (no paging assumed for these small admin lists). */
  async list(path: string): Promise<unknown[]> {
    return this.collection(path, {});
  }

  private async collection(path: string, params: Record<string, string>): Promise<unknown[]> {
    const url = `${this.baseUrl}${path}?${new URLSearchParams(params).toString()}`;
    const { body } = await exchangeJson({
      service: 'Highspot REST',
      method: 'GET',
      url,
      headers: { authorization: this.authorization, accept: 'application/json' },
      timeoutMs: this.options.timeoutMs,
    });
    const items = (body as Record<string, unknown> | undefined)?.[HIGHSPOT_REST.envelope];
    return Array.isArray(items) ? items : [];
  }

  /** Last activity by lower-cased e-mail, for one address or (without one) for every user. */
  async lastActivityByEmail(email?: string): Promise<Map<string, string>> {
    const activity = new Map<string, string>();
    for (const [address, raw] of await this.usersByEmail(email)) {
      const facts = restUserFacts(raw);
      if (facts.lastActivityAt) activity.set(address, facts.lastActivityAt);
    }
    return activity;
  }

  /** REST users by lower-cased e-mail, for one address or (without one) for every user. */
  async usersByEmail(email?: string): Promise<Map<string, unknown>> {
    const q = HIGHSPOT_REST.query;
    const found = new Map<string, unknown>();
    const limit = HIGHSPOT_REST.defaultLimit;
    for (let start = 0; ; start += limit) {
      const params: Record<string, string> = { [q.list]: HIGHSPOT_REST.lists.all, [q.start]: String(start), [q.limit]: String(limit) };
      if (email) params[q.email] = email;
      const users = await this.collection(HIGHSPOT_REST.usersPath, params);
      for (const raw of users) {
        const facts = restUserFacts(raw);
        if (facts.email) found.set(facts.email.toLowerCase(), raw);
      }
      // No total is returned: a short page is the last one.
      if (users.length < limit) return found;
    }
  }
}
