/**
 * What the HTTP intake accepts: the signature scheme and the event body. Kept apart from the
 * server so senders (and tests) can sign requests with the same code.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { IdentityEvent } from '../domain/person';

export const SIGNATURE_HEADER = 'x-idsync-signature';
export const TIMESTAMP_HEADER = 'x-idsync-timestamp';
/** Names a configured intake source (absent: the default source); the signature must be made with that source's secret. */
export const SOURCE_HEADER = 'x-idsync-source';

/** "sha256=" + hex HMAC-SHA256 over "<unix seconds>.<raw body>": the timestamp is covered, so it cannot be swapped. */
export function signIntakeRequest(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

export function verifyIntakeSignature(
  secret: string,
  headers: { signature?: string; timestamp?: string },
  body: string,
  nowMs: number,
  maxSkewMs: number,
): SignatureVerdict {
  if (!headers.signature || !headers.timestamp) return { ok: false, reason: 'missing signature or timestamp header' };
  if (!/^\d{1,12}$/.test(headers.timestamp)) return { ok: false, reason: 'malformed timestamp' };
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowMs - timestamp * 1000) > maxSkewMs) return { ok: false, reason: 'timestamp outside the accepted window (replayed or clock skew)' };
  const expected = Buffer.from(signIntakeRequest(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  // Compare equal-length buffers only: timingSafeEqual throws otherwise, and length says nothing secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  return { ok: true };
}

const text = (max: number) => z.string().trim().min(1).max(max);

export const intakePersonSchema = z.object({
  username: text(256),
  dn: text(1024).optional(),
  email: z.email().max(320).optional(),
  givenName: text(256).optional(),
  familyName: text(256).optional(),
  displayName: text(256).optional(),
  employeeId: text(128).optional(),
  employeeType: text(128).optional(),
  department: text(256).optional(),
  title: text(256).optional(),
  region: text(128).optional(),
  businessUnit: text(256).optional(),
  managerAnchor: text(200).optional(),
  startDate: z.iso.date().or(z.iso.datetime()).optional(),
  endDate: z.iso.date().or(z.iso.datetime()).optional(),
  enabled: z.boolean().default(true),
  groups: z.array(text(256)).max(1000).default([]),
  extra: z.record(z.string().max(128), z.union([z.string().max(4096), z.array(z.string().max(4096)).max(100)])).default({}),
});

export const intakeEventSchema = z.strictObject({
  kind: z.enum(['joiner', 'mover', 'leaver', 'rehire']),
  /** Immutable identifier of the person (the same anchor the directory uses). */
  anchor: z.string().regex(/^[A-Za-z0-9._:@-]{1,200}$/, 'letters, digits and . _ : @ - only (max 200)'),
  /** The sender's idempotency key: the same key always maps to the same event id. */
  eventId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/).optional(),
  reason: z.string().trim().max(500).default('pushed via intake'),
  observedAt: z.iso.datetime().optional(),
  person: intakePersonSchema.optional(),
});
export type IntakeEventBody = z.infer<typeof intakeEventSchema>;

/** The IdentityEvent the watcher would send; the id is derived from the sender's key or the body itself. */
export function toIdentityEvent(body: IntakeEventBody, nowIso: string): IdentityEvent {
  const basis = body.eventId ?? JSON.stringify({ kind: body.kind, anchor: body.anchor, person: body.person ?? null, observedAt: body.observedAt ?? null, reason: body.reason });
  const eventId = `intake-${createHash('sha256').update(`${body.anchor}\n${basis}`).digest('hex').slice(0, 32)}`;
  const event: IdentityEvent = { eventId, kind: body.kind, anchor: body.anchor, source: 'intake', observedAt: body.observedAt ?? nowIso, reason: body.reason };
  if (body.person) event.person = { ...body.person, anchor: body.anchor, dn: body.person.dn ?? body.anchor };
  return event;
}
