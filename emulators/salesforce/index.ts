import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMULATOR_ADMIN_PREFIX, FaultController, type FaultKind, type FaultSettings } from '../faults';
import { ASSUMED, concurrentLimit } from './assumptions';
import { SalesforceApiError } from './errors';
import { toEighteen } from './ids';
import { OAuthServer, type EmulatorClient, type JwtVerifier } from './oauth';
import { RestApi } from './rest';
import { DEFAULT_SALESFORCE_SEED, salesforceSeedSchema, type SalesforceSeed } from './seed';
import { SalesforceStore, type SavedSalesforceOrg } from './store';
import { EmulatorStateFile, loadEmulatorState } from '../state-file';

export { salesforceSeedSchema, DEFAULT_SALESFORCE_SEED, type SalesforceSeed } from './seed';
export type { EmulatorClient } from './oauth';

export interface SalesforceEmulatorOptions {
  /** 0 (default) = a free port. */
  port?: number;
  seed?: SalesforceSeed;
  clients?: EmulatorClient[];
  tokenTtlMs?: number;
  dailyApiLimit?: number;
  federationIdUnique?: boolean;
  faultSeed?: number;
  /** Records per query batch (Salesforce: 2000); small values make tests exercise locators. */
  queryBatchSize?: number;
  jwtVerifier?: JwtVerifier;
  /**
   * Keep the org in this JSON file: loaded at start when it exists (the seed is then ignored),
   * rewritten atomically after writes and on close. Without it the org lives in memory only.
   */
  statePath?: string;
}

export interface SalesforceEmulator {
  url: string;
  close(): Promise<void>;
  faults: FaultController;
  store: SalesforceStore;
  oauth: OAuthServer;
  /** Invalidates every issued access token (session timeout), so the next call gets 401. */
  expireTokens(): void;
  /** REST requests counted against the daily limit so far. */
  apiUsage(): { used: number; limit: number };
}

export const DEFAULT_CLIENTS: EmulatorClient[] = [{ clientId: 'idsync-emulator-client', clientSecret: 'idsync-emulator-secret' }];

const SESSION_INVALID = new SalesforceApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
const DATA_PATH = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/;
const IDENTITY_PATH = /^\/id\/([A-Za-z0-9]{15,18})\/([A-Za-z0-9]{15,18})$/;

export async function startSalesforceEmulator(opts: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
  const seed = salesforceSeedSchema.parse(opts.seed ?? DEFAULT_SALESFORCE_SEED);
  const saved = opts.statePath ? loadEmulatorState<SavedSalesforceOrg>(opts.statePath, 'salesforce') : undefined;
  const store = new SalesforceStore(seed, { federationIdUnique: opts.federationIdUnique ?? ASSUMED.federationIdUniqueByDefault }, saved);
  const stateFile = opts.statePath ? new EmulatorStateFile(opts.statePath, 'salesforce', () => store.save()) : undefined;
  stateFile?.writeNow();
  const faults = new FaultController(opts.faultSeed);
  const limit = opts.dailyApiLimit ?? 100_000;
  let used = 0;
  const apiUsage = () => ({ used, limit });
  const activeUserId = (username: string) => store.find('User', (u) => u.IsActive === true && String(u.Username).toLowerCase() === username.toLowerCase())?.Id as string | undefined;
  const oauth = new OAuthServer({
    clients: opts.clients ?? DEFAULT_CLIENTS,
    tokenTtlMs: opts.tokenTtlMs ?? 2 * 60 * 60 * 1000,
    orgId: store.orgId,
    runAsUserId: toEighteen('0055e00000INTEG'),
    userIdForUsername: (username) => activeUserId(username),
    checkPassword: (username, password) => {
      const id = activeUserId(username);
      return id && store.passwords.get(id) === password ? id : undefined;
    },
    jwtVerifier: opts.jwtVerifier,
  });
  const rest = new RestApi(store, { queryBatchSize: opts.queryBatchSize ?? 2000, apiUsage });
  let baseUrl = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', baseUrl);
    const raw = await readBody(req);
    if (url.pathname.startsWith(EMULATOR_ADMIN_PREFIX)) return admin(req.method ?? 'GET', url.pathname, raw, res);
    if (url.pathname === '/services/oauth2/token' && req.method === 'POST') {
      const reply = oauth.handle(new URLSearchParams(raw), baseUrl);
      return sendJson(res, reply.status, reply.body);
    }
    if (url.pathname === '/services/oauth2/revoke' && req.method === 'POST') {
      oauth.revoke(new URLSearchParams(raw).get('token') ?? '');
      return sendJson(res, 200, {});
    }
    if (url.pathname === '/services/data' || url.pathname === '/services/data/') {
      return sendJson(res, 200, ['58.0', '59.0', '60.0', '61.0', '62.0'].map((v) => ({ label: `API ${v}`, url: `/services/data/v${v}`, version: v })));
    }
    const identity = IDENTITY_PATH.exec(url.pathname);
    if (identity && req.method === 'GET') {
      const token = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1] ?? url.searchParams.get('oauth_token') ?? undefined;
      const userId = oauth.authenticate(token);
      if (!userId || userId !== identity[2]) return sendJson(res, 403, { error: 'Bad_OAuth_Token' });
      const user = store.byId(userId)?.row;
      return sendJson(res, 200, {
        id: `${baseUrl}${url.pathname}`,
        user_id: userId,
        organization_id: identity[1],
        username: user ? user.Username : `integration@${store.orgId.toLowerCase()}.emulator`,
        display_name: user ? user.Name : 'Integration User',
        active: true,
        urls: { rest: `${baseUrl}/services/data/v{version}/`, sobjects: `${baseUrl}/services/data/v{version}/sobjects/`, query: `${baseUrl}/services/data/v{version}/query/` },
      });
    }
    const data = DATA_PATH.exec(url.pathname);
    if (!data) return sendJson(res, 404, new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist').body());

    const isWrite = req.method !== 'GET' && req.method !== 'HEAD';
    const fault = faults.next(isWrite);
    await faults.delay();
    if (fault === 'drop') return void req.socket.destroy();
    const limitHeader = () => ({ 'Sforce-Limit-Info': `api-usage=${used}/${limit}` });
    if (fault === 'serverError') return sendJson(res, 503, new SalesforceApiError(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable, please retry').body(), limitHeader());
    if (fault === 'rateLimit') return sendJson(res, 403, concurrentLimit().body(), limitHeader());
    const bearer = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!oauth.authenticate(bearer)) return sendJson(res, 401, SESSION_INVALID.body(), limitHeader());
    if (used >= limit) return sendJson(res, 403, new SalesforceApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.').body(), limitHeader());
    used += 1;
    try {
      if (raw && !String(req.headers['content-type'] ?? '').includes('json')) {
        throw new SalesforceApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content type '${String(req.headers['content-type'])}' not supported`);
      }
      const body = raw ? parseJson(raw) : undefined;
      let reply;
      try {
        reply = rest.handle({ method: req.method ?? 'GET', version: data[1], path: data[2] ?? '/', query: url.searchParams, headers: req.headers, body });
      } finally {
        // A failed write may still have changed rows (allOrNone: false collections), so save either way.
        if (isWrite) stateFile?.changed();
      }
      if (fault === 'dropAfterWrite') return void req.socket.destroy();
      if (reply.body === undefined) {
        res.writeHead(reply.status, limitHeader());
        return void res.end();
      }
      return sendJson(res, reply.status, reply.body, limitHeader());
    } catch (err) {
      if (!(err instanceof SalesforceApiError)) throw err;
      return sendJson(res, err.status, err.body(), limitHeader());
    }
  };

  const admin = (method: string, path: string, raw: string, res: ServerResponse): void => {
    const sub = path.slice(EMULATOR_ADMIN_PREFIX.length);
    if (sub === '/faults' && method === 'GET') return sendJson(res, 200, { settings: faults.current, injected: faults.injected });
    if (sub === '/faults' && method === 'PUT') {
      const body = (raw ? JSON.parse(raw) : {}) as Partial<FaultSettings> & { reset?: boolean; expireTokens?: boolean };
      if (body.reset) faults.reset();
      // Session timeout for out-of-process tests: every issued token answers 401 from now on.
      if (body.expireTokens) oauth.expireAll();
      const { reset: _reset, expireTokens: _expire, ...settings } = body;
      faults.set({ ...settings, queue: settings.queue as FaultKind[] | undefined });
      return sendJson(res, 200, { settings: faults.current, injected: faults.injected });
    }
    if (sub === '/state' && method === 'GET') return sendJson(res, 200, { apiUsage: apiUsage(), writes: store.writes, objects: store.snapshot() });
    return sendJson(res, 404, { error: 'unknown emulator admin path' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendJson(res, 500, new SalesforceApiError(500, 'UNKNOWN_EXCEPTION', `An unexpected error occurred: ${(err as Error).message}`).body());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    faults,
    store,
    oauth,
    expireTokens: () => oauth.expireAll(),
    apiUsage,
    close: async () => {
      try {
        await new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          server.closeAllConnections();
        });
      } finally {
        stateFile?.close();
      }
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new SalesforceApiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
