/**
 * Reading a request body with a size limit, for idsync's HTTP endpoints (the intake, inbound SCIM).
 * A body over the limit is read to its end and discarded rather than cut off: destroying the
 * request closes the socket with data unread, the kernel resets the connection, and the sender
 * sees a reset instead of the 413 that tells it what to fix.
 */
import type { IncomingMessage } from 'node:http';

export type BodyRead = { tooLarge: false; text: string } | { tooLarge: true };

/**
 * Reads the whole body, keeping at most `limit` bytes. A larger body (declared or actual) is read
 * to its end and discarded, so the answer can still be sent on an intact connection; the server's
 * request timeout bounds how long a sender may keep streaming.
 */
export function readBoundedBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    let tooLarge = Number.isFinite(declared) && declared > limit;
    let received = 0;
    let chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) tooLarge = true;
      if (tooLarge) chunks = [];
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? { tooLarge: true } : { tooLarge: false, text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', reject);
  });
}
