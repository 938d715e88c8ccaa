/**
 * A local stand-in for the part of OTDS's REST API that directory sources read. OTDS is proprietary
 * and cannot run here, so every request and answer shape below is taken from OpenText's own client,
 * pyxecm 3.7.0 (`pyxecm/otds.py`, class OTDS), and named after the method it comes from; the oracle
 * test (otds-oracle.test.ts) drives this stand-in with that client to prove it. What pyxecm does not
 * show is marked ASSUMED.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EmulatedUser {
  name: string;
  partition: string;
  values: Record<string, string[]>;
  uuid?: string;
  disabled?: boolean;
}
interface StoredUser extends EmulatedUser {
  id: string;
  uuid: string;
  disabled: boolean;
  created: string;
  modified: string;
}
interface StoredGroup {
  id: string;
  name: string;
  uuid: string;
  partition: string;
  members: string[];
  created: string;
}
interface ListPosition {
  list: 'users' | 'groups' | string;
  filterKey: string;
  afterId: string;
}

export interface OtdsEmulatorOptions {
  admin: { userName: string; password: string };
  oauthClient?: { clientId: string; clientSecret: string };
  /** Leave oTMemberOf out of every entry, as a server that does not expose it would. */
  omitMemberOf?: boolean;
  /** Page size when the request names none. pyxecm 3.7.0 (OTDS.get_users) documents 250. */
  defaultPageSize?: number;
}

export interface OtdsEmulator {
  baseUrl: string;
  /** "METHOD /path?query" of every request, in order. */
  requests: string[];
  addUser(user: EmulatedUser): string;
  removeUser(id: string): void;
  setValue(id: string, name: string, values: string[]): void;
  setDisabled(id: string, disabled: boolean): void;
  addGroup(name: string, partition: string, memberIds: string[]): string;
  /** Tickets issued so far now count as expired (answered 400 / status 1034); bearer tokens are forgotten (401). */
  expireCredentials(): void;
  /** Misbehaviour for tests: the next request's answer, or list pages that always hand out the same cookie. */
  faults: { nextAnswer?: { status: number; contentType: string; body: string }; repeatCookie?: boolean };
  close(): Promise<void>;
}

/** pyxecm 3.7.0, OTDS.do_request: the body of an expired ticket's 400 answer. */
const EXPIRED_TICKET_BODY = { status: 1034, error: 'Expired OTDS SSO ticket', errorDetails: null };
const DN_SUFFIX = 'dc=identity,dc=opentext,dc=net';

export async function startOtdsEmulator(options: OtdsEmulatorOptions): Promise<OtdsEmulator> {
  const users = new Map<string, StoredUser>();
  const groups = new Map<string, StoredGroup>();
  const tickets = new Map<string, 'valid' | 'expired'>();
  let tokens = new Set<string>();
  const positions = new Map<string, ListPosition>();
  const requests: string[] = [];
  const faults: OtdsEmulator['faults'] = {};
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  // ASSUMED: the status numbers of errors other than 1034; the {status, error, errorDetails} shape is pyxecm's.
  const fail = (res: ServerResponse, http: number, status: number, error: string) => json(res, http, { status, error, errorDetails: null });

  const groupDn = (g: StoredGroup) => `oTGroup=${g.uuid},${DN_SUFFIX}`;
  /** member id -> ids of the groups it is a direct member of. */
  const memberOf = new Map<string, Set<string>>();
  const parentsOf = (id: string) => [...(memberOf.get(id) ?? [])].map((g) => groups.get(g)!);
  /** pyxecm 3.7.0, OTDS.get_users docstring example: the attributes of a user. */
  const userAttributes = (u: StoredUser): Record<string, string[]> => ({
    cn: [u.name],
    oTExternalID1: [u.name],
    oTExternalID2: [`${u.name}@${u.partition}`],
    oTExternalID3: [u.name],
    oTExternalID4: [`${u.partition}${u.name}`],
    entryUUID: [u.uuid],
    entryDN: [`oTPerson=${u.uuid},orgunit=users,partition=${u.partition},${DN_SUFFIX}`],
    createTimestamp: [u.created],
    modifyTimestamp: [u.modified],
    schemaType: ['3'],
    accountLockedOut: ['false'],
    accountDisabled: [String(u.disabled)],
    ...(options.omitMemberOf || parentsOf(u.id).length === 0 ? {} : { oTMemberOf: parentsOf(u.id).map(groupDn) }),
    ...u.values,
  });
  /** pyxecm 3.7.0, OTDS.get_groups docstring example: the attributes of a group. */
  const groupAttributes = (g: StoredGroup): Record<string, string[]> => ({
    cn: [g.name],
    oTExternalID1: [g.name],
    oTExternalID2: [`${g.name}@${g.partition}`],
    entryUUID: [g.uuid],
    entryDN: [`oTGroup=${g.uuid},orgunit=groups,partition=${g.partition},${DN_SUFFIX}`],
    createTimestamp: [g.created],
    schemaType: ['3'],
    ...(options.omitMemberOf || parentsOf(g.id).length === 0 ? {} : { oTMemberOf: parentsOf(g.id).map(groupDn) }),
  });
  /**
   * pyxecm 3.7.0, OTDS.get_users / get_groups (attrsAsKeys=true: `attributes` map and empty `values`)
   * and OTDS.get_user / add_user (`values: [{name, values}]`).
   */
  const entryJson = (base: { id: string; name: string; uuid: string; partition: string; kind: 'oTPerson' | 'oTGroup' }, attributes: Record<string, string[]>, asKeys: boolean) => {
    const location = `${base.kind}=${base.uuid},orgunit=${base.kind === 'oTPerson' ? 'users' : 'groups'},partition=${base.partition},${DN_SUFFIX}`;
    return {
      userPartitionID: base.partition,
      name: base.name,
      location,
      id: base.id,
      ...(asKeys ? { attributes, values: [] } : { values: Object.entries(attributes).map(([name, values]) => ({ name, values })) }),
      customAttributes: null,
      objectClass: base.kind,
      uuid: base.uuid,
      description: null,
      originUUID: null,
      urlId: base.id,
      urlLocation: location,
    };
  };
  const userJson = (u: StoredUser, asKeys: boolean) => entryJson({ ...u, kind: 'oTPerson' }, userAttributes(u), asKeys);
  const groupJson = (g: StoredGroup, asKeys: boolean) => ({ numMembers: g.members.length, ...entryJson({ ...g, kind: 'oTGroup' }, groupAttributes(g), asKeys) });

  /**
   * pyxecm 3.7.0, OTDS.get_users / get_groups: `page_size` per answer, `next_page_cookie` carrying
   * the previous answer's opaque base64 `nextPageCookie`, `limit` ignored (pyxecm: "OTDS has no
   * 'limit' query parameter"). The cookie stands for "after this entry", so entries added or
   * removed during a read neither repeat nor hide others. ASSUMED: an unknown cookie is a 400.
   */
  function page<T extends { id: string }>(res: ServerResponse, url: URL, list: string, items: T[], key: string, render: (item: T) => unknown) {
    const requested = Number(url.searchParams.get('page_size') ?? options.defaultPageSize ?? 250);
    if (!Number.isInteger(requested) || requested < 1) return fail(res, 400, 1001, 'Invalid page_size');
    const filterKey = [...url.searchParams].filter(([k]) => k.startsWith('where_')).sort().join('&');
    const cookie = url.searchParams.get('next_page_cookie');
    let afterId = '';
    if (cookie) {
      const position = positions.get(cookie);
      if (!position || position.list !== list || position.filterKey !== filterKey) return fail(res, 400, 1002, 'Invalid page cookie');
      afterId = position.afterId;
    }
    const sorted = items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const start = afterId ? sorted.findIndex((item) => item.id > afterId) : 0;
    const slice = start < 0 ? [] : sorted.slice(start, start + requested);
    const more = start >= 0 && start + requested < sorted.length;
    let next: string | null = null;
    if (more) {
      next = faults.repeatCookie ? 'c2FtZS1jb29raWUtYWdhaW4=' : randomBytes(16).toString('base64');
      positions.set(next, { list, filterKey, afterId: slice[slice.length - 1]!.id });
    }
    return json(res, 200, { [key]: slice.map(render), actualPageSize: slice.length, nextPageCookie: next, requestedPageSize: requested });
  }

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => resolve(text));
    });

  /** pyxecm 3.7.0, OTDS.authenticate: the ticket cookie or the OAuth2 bearer token; 401 or 400/1034 when not valid. */
  function authorised(req: IncomingMessage, res: ServerResponse): boolean {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer && tokens.has(bearer)) return true;
    const ticket = /(?:^|;\s*)OTDSTicket=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const state = ticket ? tickets.get(ticket) : undefined;
    if (state === 'valid') return true;
    if (state === 'expired') json(res, 400, EXPIRED_TICKET_BODY);
    else fail(res, 401, 1003, 'Authentication required');
    return false;
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const injected = faults.nextAnswer;
    if (injected) {
      faults.nextAnswer = undefined;
      res.writeHead(injected.status, { 'content-type': injected.contentType });
      return res.end(injected.body);
    }
    if (req.method === 'POST' && url.pathname === '/otdsws/rest/authentication/credentials') {
      // pyxecm 3.7.0, OTDS.credentials / authenticate (grant "password"): {userName, password} -> {ticket}.
      const creds = JSON.parse((await readBody(req)) || '{}') as { userName?: string; password?: string };
      if (creds.userName !== options.admin.userName || creds.password !== options.admin.password) return fail(res, 401, 1004, 'Invalid username or password');
      const ticket = `*OTDSSSO*${randomBytes(24).toString('base64')}`;
      tickets.set(ticket, 'valid');
      return json(res, 200, { token: null, userId: options.admin.userName, ticket, resourceID: null, failureReason: null, passwordExpirationTime: 0, continuation: false, continuationContext: null, continuationData: null });
    }
    if (req.method === 'POST' && url.pathname === '/otdsws/oauth2/token') {
      // pyxecm 3.7.0, OTDS.client_credentials / authenticate (grant "client_credentials"): form body -> {access_token}.
      const form = new URLSearchParams(await readBody(req));
      const client = options.oauthClient;
      if (form.get('grant_type') !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
      if (!client || form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret) return json(res, 401, { error: 'invalid_client' });
      const token = randomBytes(32).toString('base64url');
      tokens.add(token);
      return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
    }
    if (!authorised(req, res)) return;
    if (req.method !== 'GET') return fail(res, 405, 1005, 'Method not allowed');
    const asKeys = url.searchParams.get('attrsAsKeys') === 'true' || url.searchParams.get('attrsAsKeys') === 'True';
    const partition = url.searchParams.get('where_partition_name');
    const state = url.searchParams.get('where_state');
    const parts = url.pathname.replace(/^\/otdsws\/rest\//, '').split('/').map(decodeURIComponent);
    if (parts[0] === 'users' && parts.length === 1) {
      // pyxecm 3.7.0, OTDS.get_users: where_partition_name, where_state (enabled|disabled).
      if (state && state !== 'enabled' && state !== 'disabled') return fail(res, 400, 1006, 'Invalid where_state');
      const matching = [...users.values()].filter((u) => (!partition || u.partition === partition) && (!state || u.disabled === (state === 'disabled')));
      return page(res, url, 'users', matching, 'users', (u) => userJson(u, asKeys));
    }
    if (parts[0] === 'groups' && parts.length === 1) {
      // pyxecm 3.7.0, OTDS.get_groups.
      return page(res, url, 'groups', [...groups.values()].filter((g) => !partition || g.partition === partition), 'groups', (g) => groupJson(g, asKeys));
    }
    if (parts[0] === 'users' && parts.length === 2) {
      // pyxecm 3.7.0, OTDS.get_user: /users/{name}@{partition}.
      const user = users.get(parts[1]!);
      return user ? json(res, 200, userJson(user, asKeys)) : fail(res, 404, 1007, 'User not found');
    }
    if (parts[0] === 'groups' && parts.length === 2) {
      // pyxecm 3.7.0, OTDS.get_group: /groups/{name}@{partition}.
      const group = groups.get(parts[1]!);
      return group ? json(res, 200, groupJson(group, asKeys)) : fail(res, 404, 1008, 'Group not found');
    }
    if (parts.length === 3 && parts[2] === 'memberof' && (parts[0] === 'users' ? users.has(parts[1]!) : groups.has(parts[1]!))) {
      // ASSUMED: pyxecm only POSTs here (OTDS.add_user_to_group); the GET answer is a group list.
      return page(res, url, `memberof:${parts[1]}`, parentsOf(parts[1]!), 'groups', (g) => groupJson(g, asKeys));
    }
    return fail(res, 404, 1009, 'Not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const touch = (id: string) => {
    const user = users.get(id);
    if (!user) throw new Error(`no emulated OTDS user ${id}`);
    user.modified = now();
    return user;
  };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    faults,
    addUser(user) {
      const id = `${user.name}@${user.partition}`;
      users.set(id, { ...user, values: { ...user.values }, id, uuid: user.uuid ?? randomUUID(), disabled: user.disabled ?? false, created: now(), modified: now() });
      return id;
    },
    removeUser(id) {
      users.delete(id);
      for (const groupId of memberOf.get(id) ?? []) groups.get(groupId)!.members = groups.get(groupId)!.members.filter((m) => m !== id);
      memberOf.delete(id);
    },
    setValue(id, name, values) {
      touch(id).values[name] = values;
    },
    setDisabled(id, disabled) {
      touch(id).disabled = disabled;
    },
    addGroup(name, partition, memberIds) {
      const id = `${name}@${partition}`;
      groups.set(id, { id, name, partition, uuid: randomUUID(), members: [...memberIds], created: now() });
      for (const member of memberIds) memberOf.set(member, (memberOf.get(member) ?? new Set()).add(id));
      return id;
    },
    expireCredentials() {
      for (const ticket of tickets.keys()) tickets.set(ticket, 'expired');
      tokens = new Set();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
