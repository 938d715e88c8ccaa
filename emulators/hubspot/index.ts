import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { FaultController, EMULATOR_ADMIN_PREFIX, type FaultKind, type FaultSettings } from '../faults';
import { hubspotSeedSchema, DEFAULT_HUBSPOT_SEED, TIER_LIMITS, type HubspotSeed, type HubspotTier } from './seed';
import { HubspotStore, HubspotApiError, type SavedHubspotAccount } from './store';
import { EmulatorStateFile, loadEmulatorState } from '../state-file';
import { RollingWindowLimiter, RATE_LIMIT_MESSAGES } from './rate-limiter';
import { handleUsersApi, isUsersApiPath, ALL_SCOPES, USERS_PATH } from './routes';

/**
 * A local HubSpot account speaking the `/settings/v3/users` API over real HTTP, for the real
 * `@hubspot/api-client`. Order per request: admin routes (no auth) -> bearer token -> rolling rate
 * limit -> injected fault -> the API itself. Every body, errors included, is JSON with a
 * Content-Type (the SDK cannot even read an error without it), and every error has a correlationId.
 */
export interface HubspotEmulatorOptions {
  port?: number;
  seed?: HubspotSeed;
  /** Bearer tokens with every scope. Default: ["pat-na1-emulator"]. */
  tokens?: string[];
  /** Tokens limited to the listed scopes, to exercise 403 MISSING_SCOPES. */
  scopedTokens?: Record<string, string[]>;
  /** starter: 100 / 10 s; professional and enterprise: 190 / 10 s. Overrides the seed's tier. */
  tier?: HubspotTier;
  /** Overrides the tier's rolling window. */
  rateLimit?: { max: number; intervalMs: number; daily?: number };
  faultSeed?: number;
  /**
   * Keep the account in this JSON file: loaded at start when it exists (the seed's roles, teams and
   * users are then ignored), rewritten atomically after writes and on close. Default: memory only.
   */
  statePath?: string;
}

/** Which 429 an injected rateLimit fault sends: the SDK retries TEN_SECONDLY after 10 s, SECONDLY after 1 s, DAILY never. */
export type RateLimitFaultPolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY';

export interface HubspotEmulatorStats {
  /** API requests received (admin routes excluded), whatever their outcome. */
  requests: number;
  /** Every 429 sent: the real limiter's plus injected ones. */
  rateLimited: number;
  /** 429s from the rolling window or daily quota only. */
  rateLimitedByLimiter: number;
  serverErrors: number;
  dropped: number;
  byStatus: Record<string, number>;
  /** Epoch ms of the first and latest API request since the last reset (0 = none yet). */
  firstRequestAt: number;
  lastRequestAt: number;
}

export interface HubspotEmulator {
  url: string;
  faults: FaultController;
  store: HubspotStore;
  stats: HubspotEmulatorStats;
  limiter: RollingWindowLimiter;
  rateLimitFaultPolicy: RateLimitFaultPolicy;
  resetStats(): void;
  close(): Promise<void>;
}

export const DEFAULT_EMULATOR_TOKEN = 'pat-na1-emulator';
const APP_ID = 3_100_001;

export async function startHubspotEmulator(opts: HubspotEmulatorOptions = {}): Promise<HubspotEmulator> {
  const seed = hubspotSeedSchema.parse(opts.seed ?? DEFAULT_HUBSPOT_SEED);
  const tier = opts.tier ?? seed.tier;
  const limits = { ...TIER_LIMITS[tier], ...opts.rateLimit };
  const saved = opts.statePath ? loadEmulatorState<SavedHubspotAccount>(opts.statePath, 'hubspot') : undefined;
  const store = new HubspotStore(seed, saved);
  const stateFile = opts.statePath ? new EmulatorStateFile(opts.statePath, 'hubspot', () => store.save()) : undefined;
  stateFile?.writeNow();
  const faults = new FaultController(opts.faultSeed);
  const limiter = new RollingWindowLimiter(limits.max, limits.intervalMs, limits.daily);
  const tokenScopes = new Map<string, ReadonlySet<string>>();
  for (const token of opts.tokens ?? [DEFAULT_EMULATOR_TOKEN]) tokenScopes.set(token, new Set(ALL_SCOPES));
  for (const [token, scopes] of Object.entries(opts.scopedTokens ?? {})) tokenScopes.set(token, new Set(scopes));

  const emulator: HubspotEmulator = {
    url: '',
    faults,
    store,
    stats: emptyStats(),
    limiter,
    rateLimitFaultPolicy: 'TEN_SECONDLY_ROLLING',
    resetStats: () => {
      emulator.stats = emptyStats();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      stateFile?.close();
    },
  };

  const groupName = (policy: string) => `publicapi:private_app-api-calls-${policy === 'DAILY' ? 'daily' : 'ten-secondly'}:${APP_ID}:${seed.portalId}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    if (path.startsWith(EMULATOR_ADMIN_PREFIX)) return handleAdmin(method, path, await readBody(req), res);

    const stats = emulator.stats;
    stats.requests += 1;
    stats.lastRequestAt = Date.now();
    stats.firstRequestAt ||= stats.lastRequestAt;
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      if (status === 429) stats.rateLimited += 1;
      if (status >= 500) stats.serverErrors += 1;
      writeJson(res, status, body, headers);
    };
    const sendError = (err: HubspotApiError, headers: Record<string, string> = {}) => send(err.status, errorBody(err), headers);

    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const scopes = token ? tokenScopes.get(token) : undefined;
    if (!scopes) {
      return sendError(
        new HubspotApiError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview'),
      );
    }
    const admission = limiter.admit();
    if (!admission.allowed) {
      stats.rateLimitedByLimiter += 1;
      return send(429, rateLimitBody(admission.policy!), admission.headers);
    }
    const isWrite = method !== 'GET' && method !== 'HEAD';
    const fault = nextFault(faults, isWrite);
    await faults.delay();
    if (fault === 'drop') {
      stats.dropped += 1;
      req.socket.destroy();
      return;
    }
    if (fault === 'serverError') return sendError(new HubspotApiError(500, 'INTERNAL_ERROR', 'Internal error (injected by the emulator)'), admission.headers);
    if (fault === 'rateLimit') return send(429, rateLimitBody(emulator.rateLimitFaultPolicy), admission.headers);

    if (!isUsersApiPath(path)) return sendError(new HubspotApiError(404, 'OBJECT_NOT_FOUND', `No API at ${path}; this emulator serves ${USERS_PATH}`), admission.headers);
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return sendError(new HubspotApiError(400, 'VALIDATION_ERROR', 'Invalid input JSON: the body could not be parsed'), admission.headers);
    }
    const baseUrl = `http://${req.headers.host ?? emulator.url.replace(/^http:\/\//, '')}`;
    let result: { status: number; body?: unknown };
    try {
      result = handleUsersApi(store, { method, path, query: url.searchParams, body, baseUrl, scopes });
    } catch (err) {
      if (err instanceof HubspotApiError) return sendError(err, admission.headers);
      throw err;
    } finally {
      if (isWrite) stateFile?.changed();
    }
    if (fault === 'dropAfterWrite') {
      stats.dropped += 1;
      req.socket.destroy();
      return;
    }
    send(result.status, result.body, admission.headers);
  }

  function rateLimitBody(policy: RateLimitFaultPolicy) {
    return { status: 'error', message: RATE_LIMIT_MESSAGES[policy], errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: policy, groupName: groupName(policy) };
  }

  function handleAdmin(method: string, path: string, rawBody: string, res: ServerResponse): void {
    const adminPath = path.slice(EMULATOR_ADMIN_PREFIX.length);
    if (adminPath === '/faults' && method === 'GET') return writeJson(res, 200, faultView());
    if (adminPath === '/faults' && method === 'PUT') {
      let patch: Partial<FaultSettings> & { reset?: boolean; rateLimitPolicy?: RateLimitFaultPolicy };
      try {
        patch = rawBody ? JSON.parse(rawBody) : {};
      } catch {
        return writeJson(res, 400, errorBody(new HubspotApiError(400, 'VALIDATION_ERROR', 'fault settings must be JSON')));
      }
      const { reset, rateLimitPolicy, ...settings } = patch;
      if (reset) faults.reset();
      if (rateLimitPolicy) emulator.rateLimitFaultPolicy = rateLimitPolicy;
      faults.set(settings);
      return writeJson(res, 200, faultView());
    }
    if (adminPath === '/state' && method === 'GET') {
      return writeJson(res, 200, {
        tier,
        portalId: seed.portalId,
        rateLimit: { max: limiter.max, intervalMs: limiter.intervalMs, remaining: limiter.remaining() },
        stats: emulator.stats,
        roles: [...store.roles.values()],
        teams: store.teamsView(),
        users: store.allUsers().map((u) => store.toPublic(u)),
      });
    }
    writeJson(res, 404, errorBody(new HubspotApiError(404, 'OBJECT_NOT_FOUND', `unknown admin route ${method} ${path}`)));
  }

  function faultView() {
    return { settings: faults.current, injected: faults.injected, rateLimitPolicy: emulator.rateLimitFaultPolicy };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) writeJson(res, 500, errorBody(new HubspotApiError(500, 'INTERNAL_ERROR', `emulator bug: ${(err as Error).message}`)));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  emulator.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return emulator;
}

/**
 * The shared FaultController discards a queued dropAfterWrite when a read comes first; a test that
 * queues "crash after the next write" means the next *write*, so reads skip past it here.
 */
function nextFault(faults: FaultController, isWrite: boolean): FaultKind | null {
  const queue = faults.current.queue;
  if (isWrite || queue[0] !== 'dropAfterWrite') return faults.next(isWrite);
  faults.set({ queue: [] });
  try {
    return faults.next(false);
  } finally {
    faults.set({ queue });
  }
}

function emptyStats(): HubspotEmulatorStats {
  return { requests: 0, rateLimited: 0, rateLimitedByLimiter: 0, serverErrors: 0, dropped: 0, byStatus: {}, firstRequestAt: 0, lastRequestAt: 0 };
}

function errorBody(err: HubspotApiError): Record<string, unknown> {
  const body: Record<string, unknown> = { status: 'error', message: err.message, correlationId: randomUUID(), category: err.category };
  if (err.errors) body.errors = err.errors;
  return body;
}

function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json;charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  return text.trim() === '' ? undefined : JSON.parse(text);
}

export { HubspotStore, HubspotApiError } from './store';
export { hubspotSeedSchema, DEFAULT_HUBSPOT_SEED, type HubspotSeed } from './seed';
