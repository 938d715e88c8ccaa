/**
 * HTTP intake for push sources (HR systems, ticketing): a signed POST becomes the same person
 * workflow signalWithStart the directory watcher uses. Anything unsigned, stale or malformed is
 * refused before Temporal is touched.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { deliverIdentityEvents } from '../activities/directory';
import { personWorkflowId } from '../lib/names';
import { redact } from '../lib/errors';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, intakeEventSchema, toIdentityEvent, verifyIntakeSignature } from './intake-request';

export interface IntakeServerOptions {
  port: number;
  host?: string;
  hmacSecret: string;
  client: Client;
  orchestrationTaskQueue: string;
  maxClockSkewMs?: number;
  maxBodyBytes?: number;
  now?: () => number;
}

export interface IntakeServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.error));
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, { error: 'request body too large', limitBytes: limit }));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startIntakeServer(opts: IntakeServerOptions): Promise<IntakeServer> {
  if (opts.hmacSecret.length < 16) throw new Error('the intake HMAC secret must be at least 16 characters');
  const maxSkew = opts.maxClockSkewMs ?? 300_000;
  const maxBody = opts.maxBodyBytes ?? 256 * 1024;
  const now = opts.now ?? Date.now;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/events' && path !== '/v1/events') throw new HttpError(404, { error: 'not found; POST /events' });
    if (req.method !== 'POST') throw new HttpError(405, { error: 'method not allowed; POST /events' });
    const raw = await readBody(req, maxBody);
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const verdict = verifyIntakeSignature(opts.hmacSecret, { signature: header(SIGNATURE_HEADER), timestamp: header(TIMESTAMP_HEADER) }, raw, now(), maxSkew);
    if (!verdict.ok) throw new HttpError(401, { error: 'unauthorized', reason: verdict.reason });
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new HttpError(400, { error: 'invalid request', field: '(body)', message: 'body is not JSON' });
    }
    const parsed = intakeEventSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.') || '(body)';
      throw new HttpError(400, { error: 'invalid request', field, message: issue.message });
    }
    const event = toIdentityEvent(parsed.data, new Date(now()).toISOString());
    await deliverIdentityEvents(opts.client, opts.orchestrationTaskQueue, [event]);
    send(res, 202, { accepted: true, eventId: event.eventId, workflowId: personWorkflowId(event.anchor) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) send(res, err.status, err.body);
      else send(res, 503, { error: 'could not start the workflow; retry later', detail: redact((err as Error).message).slice(0, 300) });
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
