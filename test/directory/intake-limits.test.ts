import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createDirectorySource } from '../../directory';
import { SIGNATURE_HEADER, SOURCE_HEADER, TIMESTAMP_HEADER, signIntakeRequest } from '../../starters/intake-request';
import { uniqueId } from '../support/env';
import { startIntakeHarness, type IntakeHarness } from './support/intake-harness';

const SECRET = 'intake-limits-secret-0123456789';
const BATCH_SECRET = 'batch-sender-secret-0123456789';
let h: IntakeHarness;

before(async () => {
  h = await startIntakeHarness('intake-limits');
});

after(async () => {
  await h?.close();
});

/** A well-formed joiner padded with extra attributes to about `bytes`: only its size is wrong. */
function paddedJoiner(anchor: string, bytes: number): string {
  const extra = Object.fromEntries(Array.from({ length: Math.ceil(bytes / 4000) }, (_, i) => [`attr${i}`, 'x'.repeat(4000)]));
  return JSON.stringify({ kind: 'joiner', anchor, person: { username: 'big', extra }, reason: 'r' });
}

function signedHeaders(secret: string, body: string, source?: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  return { 'content-type': 'application/json', [SIGNATURE_HEADER]: signIntakeRequest(secret, ts, body), [TIMESTAMP_HEADER]: String(ts), ...(source ? { [SOURCE_HEADER]: source } : {}) };
}

/** Streams the body in chunks without a content-length (chunked), as a sender that does not know the size would. */
function postChunked(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    for (let at = 0; at < body.length; at += 16 * 1024) req.write(body.slice(at, at + 16 * 1024));
    req.end();
  });
}

test('a 300 KB body gets 413 with a JSON error, not a connection reset, through fetch and a chunked upload; nothing starts', async () => {
  const intake = await h.startIntake({ hmacSecret: SECRET });
  const anchor = await h.addPerson(uniqueId('big'));
  const body = paddedJoiner(anchor, 300_000);
  assert.ok(body.length >= 300_000, `body is ${body.length} bytes`);

  const res = await fetch(intake.url, { method: 'POST', headers: signedHeaders(SECRET, body), body });
  assert.equal(res.status, 413);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const answer = (await res.json()) as Record<string, unknown>;
  assert.equal(answer.error, 'request body too large');
  assert.equal(answer.limitBytes, 256 * 1024);

  const chunked = await postChunked(intake.url, signedHeaders(SECRET, body), body);
  assert.equal(chunked.status, 413);
  assert.equal(chunked.body.limitBytes, 256 * 1024);
  await h.notStarted(anchor);

  // The same event, small enough, goes through: the size was the only problem.
  const small = JSON.stringify({ kind: 'joiner', anchor, person: { username: 'big' } });
  const accepted = await fetch(intake.url, { method: 'POST', headers: signedHeaders(SECRET, small), body: small });
  assert.equal(accepted.status, 202);
});

test('the body limit is configurable', async () => {
  const intake = await h.startIntake({ hmacSecret: SECRET, maxBodyBytes: 2048 });
  const anchor = uniqueId('limit');
  const body = paddedJoiner(anchor, 3000);
  const res = await fetch(intake.url, { method: 'POST', headers: signedHeaders(SECRET, body), body });
  assert.equal(res.status, 413);
  assert.equal(((await res.json()) as Record<string, unknown>).limitBytes, 2048);
  await h.notStarted(anchor);
});

test('over its rate limit a source gets 429 with Retry-After and nothing starts; other sources are unaffected; after waiting it is accepted', async () => {
  // One token every 4 s, two at once: the third request in a row is over the budget.
  const intake = await h.startIntake({ hmacSecret: SECRET, sources: { batch: { hmacSecret: BATCH_SECRET, rateLimit: { perSecond: 0.25, burst: 2 } } } });
  const send = (body: string, secret = BATCH_SECRET, source: string | null = 'batch') => fetch(intake.url, { method: 'POST', headers: signedHeaders(secret, body, source ?? undefined), body });
  // Signed but malformed requests cost a token too (they are checked after the budget) and start nothing.
  for (let i = 0; i < 2; i++) assert.equal((await send('{"kind":')).status, 400);

  const anchor = uniqueId('burst');
  const leaver = JSON.stringify({ kind: 'leaver', anchor, reason: 'batch' });
  const limited = await send(leaver);
  assert.equal(limited.status, 429);
  const retryAfter = Number(limited.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 4, `Retry-After: ${limited.headers.get('retry-after')}`);
  const answer = (await limited.json()) as Record<string, unknown>;
  assert.equal(answer.source, 'batch');
  assert.equal(answer.retryAfterSeconds, retryAfter);
  await h.notStarted(anchor);

  // Bad signatures do not spend the budget, and the default source has a budget of its own.
  const other = uniqueId('other');
  assert.equal((await send(JSON.stringify({ kind: 'leaver', anchor: other }), SECRET, null)).status, 202);

  await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
  const later = await send(leaver);
  assert.equal(later.status, 202, 'accepted once the sender has waited Retry-After');
  assert.equal((await h.eventsOf(anchor))[0]!.kind, 'leaver');
});

test('when the directory cannot be read, a joiner gets 503 with Retry-After and nothing starts', async () => {
  const unreachable = createDirectorySource(h.ldap.config({ url: 'ldap://127.0.0.1:1', timeoutMs: 2000 }), process.env);
  try {
    const intake = await h.startIntake({ hmacSecret: SECRET, directory: unreachable });
    const anchor = uniqueId('dirdown');
    const body = JSON.stringify({ kind: 'joiner', anchor, person: { username: 'dd' } });
    const res = await fetch(intake.url, { method: 'POST', headers: signedHeaders(SECRET, body), body });
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    const answer = (await res.json()) as Record<string, unknown>;
    assert.equal(answer.anchor, anchor);
    assert.ok(!JSON.stringify(answer).includes('127.0.0.1'), 'the directory address is not told to the sender');
    await h.notStarted(anchor);
  } finally {
    await unreachable.close().catch(() => undefined);
  }
});

test('a wrong path or method gets its JSON answer, not a reset, even with a body the server never reads', async () => {
  const intake = await h.startIntake({ hmacSecret: SECRET });
  const body = 'x'.repeat(300_000);
  const wrongPath = await fetch(intake.url.replace(/\/events$/, '/evnts'), { method: 'POST', body });
  assert.equal(wrongPath.status, 404);
  assert.match(String(((await wrongPath.json()) as Record<string, unknown>).error), /POST \/events/);
  const wrongMethod = await fetch(intake.url, { method: 'PUT', body });
  assert.equal(wrongMethod.status, 405);
  assert.equal((await fetch(intake.url)).status, 405);
});
