/**
 * A small local stand-in for the OTDS REST endpoints idsync's OTDS source uses (OTDS itself is
 * proprietary and cannot run here): ticket authentication, users and groups with cookie paging,
 * memberof and members. Shapes follow directory/otds/protocol.ts.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EmulatedUser {
  name: string;
  partition: string;
  values: Record<string, string[]>;
  uuid?: string;
}

interface StoredUser extends EmulatedUser {
  id: string;
  uuid: string;
}
interface StoredGroup {
  id: string;
  name: string;
  uuid: string;
  partition: string;
  members: string[];
}

export interface OtdsEmulator {
  baseUrl: string;
  requests: string[];
  addUser(user: EmulatedUser): string;
  removeUser(id: string): void;
  setValue(id: string, name: string, values: string[]): void;
  addGroup(name: string, partition: string, memberIds: string[]): string;
  expireTickets(): void;
  close(): Promise<void>;
}

export async function startOtdsEmulator(admin: { userName: string; password: string }): Promise<OtdsEmulator> {
  const users = new Map<string, StoredUser>();
  const groups = new Map<string, StoredGroup>();
  let tickets = new Set<string>();
  const requests: string[] = [];

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const userJson = (u: StoredUser) => ({
    id: u.id,
    name: u.name,
    userPartitionID: u.partition,
    uuid: u.uuid,
    location: `oTPerson=${u.uuid},orgunit=users,partition=${u.partition},dc=identity,dc=opentext,dc=net`,
    objectClass: 'oTPerson',
    values: Object.entries(u.values).map(([name, values]) => ({ name, values })),
  });
  const groupJson = (g: StoredGroup) => ({ id: g.id, name: g.name, uuid: g.uuid, userPartitionID: g.partition, objectClass: 'oTGroup' });
  function page<T>(items: T[], url: URL, key: string) {
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    const offset = Number(url.searchParams.get('page_cookie') ?? 0);
    const slice = items.slice(offset, offset + limit);
    const next = offset + limit < items.length ? String(offset + limit) : null;
    return { [key]: slice, nextPageCookie: next, requestedPageSize: limit, actualPageSize: slice.length };
  }
  const body = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => resolve(text));
    });

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.method === 'POST' && url.pathname === '/otdsws/rest/authentication/credentials') {
      const creds = JSON.parse((await body(req)) || '{}') as { userName?: string; password?: string };
      if (creds.userName !== admin.userName || creds.password !== admin.password) return json(res, 401, { error: 'Invalid username or password' });
      const ticket = `*OTDSSSO*${randomUUID()}`;
      tickets.add(ticket);
      return json(res, 200, { ticket, userId: `${admin.userName}@otds.admin`, token: null, resourceID: null });
    }
    const ticket = /(?:^|;\s*)OTDSTicket=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!ticket || !tickets.has(ticket)) return json(res, 401, { error: 'Authentication required' });
    if (req.method !== 'GET') return json(res, 405, { error: 'method not allowed' });
    const partition = url.searchParams.get('where_partition_name');
    const parts = url.pathname.replace(/^\/otdsws\/rest\//, '').split('/').map(decodeURIComponent);
    const parentsOf = (id: string) => [...groups.values()].filter((g) => g.members.includes(id)).map(groupJson);
    if (parts[0] === 'users' && parts.length === 1) {
      return json(res, 200, page([...users.values()].filter((u) => !partition || u.partition === partition).map(userJson), url, 'users'));
    }
    if (parts[0] === 'users' && parts[2] === 'memberof' && users.has(parts[1]!)) return json(res, 200, page(parentsOf(parts[1]!), url, 'groups'));
    if (parts[0] === 'groups' && parts.length === 1) {
      return json(res, 200, page([...groups.values()].filter((g) => !partition || g.partition === partition).map(groupJson), url, 'groups'));
    }
    const group = parts[0] === 'groups' ? groups.get(parts[1]!) : undefined;
    if (group && parts[2] === 'memberof') return json(res, 200, page(parentsOf(group.id), url, 'groups'));
    if (group && parts[2] === 'members') {
      return json(res, 200, {
        users: group.members.filter((m) => users.has(m)).map((m) => userJson(users.get(m)!)),
        groups: group.members.filter((m) => groups.has(m)).map((m) => groupJson(groups.get(m)!)),
        nextPageCookie: null,
      });
    }
    return json(res, 404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    addUser(user) {
      const id = `${user.name}@${user.partition}`;
      users.set(id, { ...user, id, uuid: user.uuid ?? randomUUID() });
      return id;
    },
    removeUser(id) {
      users.delete(id);
      for (const g of groups.values()) g.members = g.members.filter((m) => m !== id);
    },
    setValue(id, name, values) {
      users.get(id)!.values[name] = values;
    },
    addGroup(name, partition, memberIds) {
      const id = `${name}@${partition}`;
      groups.set(id, { id, name, partition, uuid: randomUUID(), members: memberIds });
      return id;
    },
    expireTickets() {
      tickets = new Set();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
