/**
 * DirectorySource over idsync's own SCIM endpoint (`directory.kind: scim`): the users identity
 * providers pushed ARE the directory. The store has one owner (the process serving the endpoint),
 * so every other process, workers on other hosts included, reads it through that owner over HTTP:
 * the standard /Users endpoint for single reads and look-ups, and idsync's change feed for
 * everything at once, changes since a store sequence number (the cursor) and groups. A SCIM DELETE
 * is proof of deletion, so deletions come back as removedAnchors; `active: false` is disabled.
 */
import type { Person } from '../../domain/person';
import { nonRetryable, retryable } from '../../lib/errors';
import type { DirectoryChanges, DirectoryGroup, DirectorySource } from '../../directory/source';
import { scimBaseUrl, type ScimDirectoryConfig } from './config';
import { scimUserToPerson } from './person-mapping';
import type { Json } from './validate';

const CURSOR_PREFIX = 'scim:';

interface FeedAnswer {
  cursor: number;
  users: Json[];
  removedUsers: string[];
  changedGroups: string[];
}

export class ScimDirectorySource implements DirectorySource {
  private readonly baseUrl: string;
  private readonly feedUrl: string;

  constructor(
    private readonly config: ScimDirectoryConfig,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.baseUrl = scimBaseUrl(config);
    this.feedUrl = this.baseUrl.replace(/\/scim\/v2$/, '/scim/idsync');
  }

  private token(): string {
    const token = this.env[this.config.tokenEnv];
    if (!token) throw nonRetryable('ConfigError', `directory.tokenEnv: environment variable ${this.config.tokenEnv} is not set`, { target: 'directory', field: 'directory.tokenEnv' });
    return token;
  }

  /** GET as JSON; 404 is null. Anything else unexpected is retryable (the owning process may be restarting). */
  private async get<T>(url: string): Promise<T | null> {
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `Bearer ${this.token()}`, accept: 'application/scim+json' }, signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (err) {
      throw retryable('DirectoryUnavailable', `the SCIM directory at ${this.baseUrl} could not be reached: ${(err as Error).message}`, { target: 'directory' });
    }
    if (response.status === 404) return null;
    if (response.status === 401) throw nonRetryable('ConfigError', `the SCIM directory at ${this.baseUrl} refused the token in ${this.config.tokenEnv}`, { target: 'directory', field: 'directory.tokenEnv' });
    if (!response.ok) throw retryable('DirectoryUnavailable', `the SCIM directory at ${this.baseUrl} answered ${response.status}`, { target: 'directory' });
    return (await response.json()) as T;
  }

  private async feed(since: number): Promise<FeedAnswer> {
    const answer = await this.get<FeedAnswer>(`${this.feedUrl}/changes?since=${since}`);
    if (!answer) throw nonRetryable('ConfigError', `${this.feedUrl} is not an idsync SCIM endpoint (no change feed)`, { target: 'directory', field: 'directory.url' });
    return answer;
  }

  async getPerson(anchor: string): Promise<Person | null> {
    const user = await this.get<Json>(`${this.baseUrl}/Users/${encodeURIComponent(anchor)}`);
    return user ? scimUserToPerson(user) : null;
  }

  async findPerson(query: { username?: string; email?: string }): Promise<Person | null> {
    const filter = query.username !== undefined ? `userName eq ${JSON.stringify(query.username)}` : query.email !== undefined ? `emails.value eq ${JSON.stringify(query.email)}` : null;
    if (filter === null) return null;
    const list = await this.get<{ Resources?: Json[] }>(`${this.baseUrl}/Users?filter=${encodeURIComponent(filter)}&count=2`);
    const found = list?.Resources ?? [];
    return found.length === 1 ? scimUserToPerson(found[0]!) : null;
  }

  async *listPeople(): AsyncIterable<Person> {
    for (const user of (await this.feed(0)).users) yield scimUserToPerson(user);
  }

  async groupMemberAnchors(groupName: string): Promise<string[]> {
    const wanted = groupName.toLowerCase();
    return (await this.listGroups()).find((g) => g.name.toLowerCase() === wanted)?.memberAnchors ?? [];
  }

  async listGroups(): Promise<DirectoryGroup[]> {
    const answer = await this.get<{ groups: DirectoryGroup[] }>(`${this.feedUrl}/groups`);
    return answer?.groups ?? [];
  }

  async getGroup(anchor: string): Promise<DirectoryGroup | null> {
    return (await this.listGroups()).find((g) => g.anchor === anchor) ?? null;
  }

  async currentCursor(): Promise<string> {
    const answer = await this.get<{ cursor: number }>(`${this.feedUrl}/cursor`);
    return `${CURSOR_PREFIX}${answer?.cursor ?? 0}`;
  }

  /** A cursor from another kind of directory (or none) reads everything. */
  async changesSince(cursor: string | null): Promise<DirectoryChanges> {
    const since = cursor?.startsWith(CURSOR_PREFIX) ? Number(cursor.slice(CURSOR_PREFIX.length)) : 0;
    const answer = await this.feed(Number.isSafeInteger(since) && since >= 0 ? since : 0);
    return {
      changed: answer.users.map(scimUserToPerson),
      removedAnchors: answer.removedUsers,
      cursor: `${CURSOR_PREFIX}${answer.cursor}`,
      changedGroups: answer.changedGroups,
    };
  }

  async close(): Promise<void> {}
}
