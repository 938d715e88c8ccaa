/**
 * HTTP intake for push sources (HR systems, ticketing): a signed POST becomes the same person
 * workflow signalWithStart the directory watcher uses. Nothing starts unless the request is signed
 * by a known source, within that source's rate limit, well formed, and doable: a joiner, mover or
 * rehire for someone the directory does not have is refused with 422 (intake-admission.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { deliverIdentityEvents } from '../activities/directory';
import { askMassChangeGuard, GuardUnavailable } from '../activities/mass-change-guard';
import type { AdmissionRequest, AdmissionVerdict } from '../directory/watch/types';
import type { DirectorySource } from '../directory/source';
import { personWorkflowId, WATCHER_WORKFLOW_ID } from '../lib/names';
import { redact } from '../lib/errors';
import { admitEvent } from './intake-admission';
import { HttpError, readBoundedBody, sendJson } from './intake-http';
import { DEFAULT_INTAKE_RATE_LIMIT, TokenBucket, type RateLimit } from './intake-rate-limit';
import { SIGNATURE_HEADER, SOURCE_HEADER, TIMESTAMP_HEADER, intakeEventSchema, toIdentityEvent, verifyIntakeSignature } from './intake-request';

/** The name of the source signed with `hmacSecret`, i.e. requests without the source header. */
export const DEFAULT_INTAKE_SOURCE = 'default';

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export interface IntakeSourceOptions {
  hmacSecret: string;
  /** Provision from the pushed person record when the directory does not have the person. */
  authoritative?: boolean;
  /** Default: the server's rateLimit. */
  rateLimit?: RateLimit;
}

export interface IntakeServerOptions {
  port: number;
  host?: string;
  /** Secret of the default source (requests without the x-idsync-source header). */
  hmacSecret: string;
  /** Per-source budget unless a source sets its own. */
  rateLimit?: RateLimit;
  /** Further sources by name, chosen by the x-idsync-source header. */
  sources?: Record<string, IntakeSourceOptions>;
  /** Where a joiner, mover or rehire is checked before anything starts. */
  directory: Pick<DirectorySource, 'getPerson'>;
  client: Client;
  orchestrationTaskQueue: string;
  maxClockSkewMs?: number;
  maxBodyBytes?: number;
  now?: () => number;
  /** The workflow hosting the one mass-change guard (default: the directory watcher). */
  guardWorkflowId?: string;
  /**
   * How a leaver asks the mass-change guard; default: the guard workflow over Temporal. Only tests
   * of the intake's own validation replace it.
   */
  massChangeGuard?: (request: AdmissionRequest) => Promise<AdmissionVerdict>;
  /** How long a leaver waits for the guard's answer before the sender gets 503 (the same request later gets the same answer). */
  guardTimeoutMs?: number;
}

const DEFAULT_GUARD_TIMEOUT_MS = 20_000;

export interface IntakeServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Source {
  name: string;
  secret: string;
  authoritative: boolean;
  bucket: TokenBucket;
}

/**
 * One entry per source. Secrets must differ: the signature is what proves which source sent a
 * request, and with a shared secret a sender could relabel its request as the other source (say,
 * an authoritative one) by changing the header alone.
 */
function buildSources(opts: IntakeServerOptions): Map<string, Source> {
  const defaultLimit = opts.rateLimit ?? DEFAULT_INTAKE_RATE_LIMIT;
  const entries: [string, IntakeSourceOptions][] = [[DEFAULT_INTAKE_SOURCE, { hmacSecret: opts.hmacSecret }], ...Object.entries(opts.sources ?? {})];
  const sources = new Map<string, Source>();
  const secrets = new Set<string>();
  for (const [name, source] of entries) {
    if (sources.has(name)) throw new Error(`intake source "${name}" is defined twice`);
    if (source.hmacSecret.length < 16) throw new Error(`the HMAC secret of intake source "${name}" must be at least 16 characters`);
    if (secrets.has(source.hmacSecret)) throw new Error(`intake source "${name}" shares its HMAC secret with another source; every source needs its own`);
    secrets.add(source.hmacSecret);
    sources.set(name, { name, secret: source.hmacSecret, authoritative: source.authoritative === true, bucket: new TokenBucket(source.rateLimit ?? defaultLimit) });
  }
  return sources;
}

export async function startIntakeServer(opts: IntakeServerOptions): Promise<IntakeServer> {
  const sources = buildSources(opts);
  const maxSkew = opts.maxClockSkewMs ?? 300_000;
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const now = opts.now ?? Date.now;
  const guard = opts.massChangeGuard ?? ((request: AdmissionRequest) => askMassChangeGuard(opts.client, request, opts.guardWorkflowId));
  const guardTimeoutMs = opts.guardTimeoutMs ?? DEFAULT_GUARD_TIMEOUT_MS;
  /** The guard answers between two watcher polls; a watcher whose worker is down would keep the sender waiting. */
  async function askGuard(request: AdmissionRequest): Promise<AdmissionVerdict> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GuardUnavailable(opts.guardWorkflowId ?? WATCHER_WORKFLOW_ID, `did not answer within ${guardTimeoutMs / 1000} s`)), guardTimeoutMs);
    });
    try {
      return await Promise.race([guard(request), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/events' && path !== '/v1/events') throw new HttpError(404, { error: 'not found; POST /events' });
    if (req.method !== 'POST') throw new HttpError(405, { error: 'method not allowed; POST /events' });
    const body = await readBoundedBody(req, maxBody);
    if (body.tooLarge) throw new HttpError(413, { error: 'request body too large', limitBytes: maxBody });
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const source = sources.get(header(SOURCE_HEADER) ?? DEFAULT_INTAKE_SOURCE);
    if (!source) throw new HttpError(401, { error: 'unauthorized', reason: 'unknown source' });
    const verdict = verifyIntakeSignature(source.secret, { signature: header(SIGNATURE_HEADER), timestamp: header(TIMESTAMP_HEADER) }, body.text, now(), maxSkew);
    if (!verdict.ok) throw new HttpError(401, { error: 'unauthorized', reason: verdict.reason });
    // Counted after the signature, so nobody without the secret can spend a source's budget.
    const budget = source.bucket.take();
    if (!budget.ok) {
      throw new HttpError(429, { error: 'rate limit exceeded', source: source.name, retryAfterSeconds: budget.retryAfterSeconds }, { 'retry-after': String(budget.retryAfterSeconds) });
    }
    let json: unknown;
    try {
      json = JSON.parse(body.text);
    } catch {
      throw new HttpError(400, { error: 'invalid request', field: '(body)', message: 'body is not JSON' });
    }
    const parsed = intakeEventSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.') || '(body)';
      throw new HttpError(400, { error: 'invalid request', field, message: issue.message });
    }
    const admitted = await admitEvent(toIdentityEvent(parsed.data, new Date(now()).toISOString()), source, opts.directory);
    const event = admitted.event;
    const reply = { accepted: true, eventId: event.eventId, workflowId: personWorkflowId(event.anchor), source: source.name, personFrom: admitted.personFrom };
    if (event.kind === 'leaver') {
      // A leaver cuts access: the one mass-change guard counts it with every other source's, and
      // holds it (kept in the guard's batch, delivered on approval) once too many arrive together.
      const verdict = await askGuard({ requestId: event.eventId, source: 'intake', count: 1, what: `intake leaver ${event.eventId} from source ${source.name}`, events: [event] });
      if (!verdict.admitted) {
        sendJson(res, 202, { ...reply, held: { batchId: verdict.batchId, reason: verdict.reason } });
        return;
      }
    }
    await deliverIdentityEvents(opts.client, opts.orchestrationTaskQueue, [event]);
    sendJson(res, 202, reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) sendJson(res, err.status, err.body, err.headers);
      else if (err instanceof GuardUnavailable) sendJson(res, 503, { error: 'the mass-change guard is not available: leavers wait for it; retry later', detail: err.message }, { 'retry-after': '30' });
      else sendJson(res, 503, { error: 'could not start the workflow; retry later', detail: redact((err as Error).message).slice(0, 300) });
    });
  });
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/events`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
