/**
 * HTTP plumbing for the intake: bounded body reading (lib/bounded-body.ts) and JSON answers. (A body
 * the handler never reads, e.g. on a 404, Node discards by itself once the answer is sent.)
 */
import type { ServerResponse } from 'node:http';

/** A refusal (or answer) with a JSON body; thrown anywhere in the handler, sent by the server. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.error));
  }
}

// Moved to lib so the inbound SCIM endpoint (a lower floor) reads bodies the same way.
export { readBoundedBody, type BodyRead } from '../lib/bounded-body';

export function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
