import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { personWorkflowId } from '../../lib/names';
import type { IntakeServer } from '../../starters/intake';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signIntakeRequest } from '../../starters/intake-request';
import { uniqueId } from '../support/env';
import { startIntakeHarness, type IntakeHarness, type PostOptions } from './support/intake-harness';

const SECRET = 'intake-test-secret-0123456789';
const HR_SECRET = 'hr-system-secret-9876543210';
const TICKETS_SECRET = 'ticketing-secret-5647382910';
let h: IntakeHarness;
let intake: IntakeServer;

before(async () => {
  h = await startIntakeHarness('intake');
  intake = await h.startIntake({
    hmacSecret: SECRET,
    sources: {
      'hr-master': { hmacSecret: HR_SECRET, authoritative: true },
      tickets: { hmacSecret: TICKETS_SECRET },
    },
  });
});

after(async () => {
  await h?.close();
});

const post = (body: unknown, opts: Partial<PostOptions> = {}) => h.post(intake, body, { secret: SECRET, ...opts });

test('a signed joiner for a person in the directory starts the person workflow; the same request again maps to the same event id', async () => {
  const anchor = await h.addPerson(uniqueId('zara'));
  const body = { kind: 'joiner', anchor, reason: 'HR hire', person: { username: 'zara', email: 'zara@example.com', department: 'Sales', groups: ['sales'] } };
  const first = await post(body);
  assert.equal(first.status, 202, JSON.stringify(first.body));
  assert.equal(first.body.workflowId, personWorkflowId(anchor));
  assert.equal(first.body.source, 'default');
  assert.equal(first.body.personFrom, 'directory');
  const events = await h.eventsOf(anchor);
  assert.equal(events[0]!.kind, 'joiner');
  assert.equal(events[0]!.source, 'intake');
  assert.equal(events[0]!.eventId, first.body.eventId);
  assert.equal(events[0]!.person?.email, 'zara@example.com');
  assert.equal(events[0]!.person?.enabled, true);
  assert.equal(events[0]!.personAuthoritative, undefined, 'the default source is not authoritative');
  const again = await post(body);
  assert.equal(again.body.eventId, first.body.eventId, 'a resent request carries the same id, so the person workflow drops it');
});

test('a joiner, mover or rehire for a person the directory does not have gets 422 naming the field and anchor only, and starts nothing', async () => {
  for (const kind of ['joiner', 'mover', 'rehire']) {
    const anchor = uniqueId(`ghost-${kind}`);
    const person = { username: 'ghost', email: 'ghost.person@example.com', givenName: 'Gwen', familyName: 'Ghost' };
    for (const opts of [{}, { source: 'tickets', secret: TICKETS_SECRET }]) {
      const res = await post({ kind, anchor, person }, opts);
      assert.equal(res.status, 422, `${kind} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.field, 'anchor');
      assert.equal(res.body.anchor, anchor);
      const text = JSON.stringify(res.body);
      for (const personal of ['ghost.person@example.com', 'Gwen', 'Ghost']) assert.ok(!text.includes(personal), `no personal data in the refusal: ${text}`);
    }
    await h.notStarted(anchor);
  }
});

test('a leaver needs no directory entry: it is accepted for someone already gone', async () => {
  const anchor = uniqueId('gone');
  const res = await post({ kind: 'leaver', anchor, reason: 'contract ended' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.body.personFrom, 'not needed');
  assert.equal((await h.eventsOf(anchor))[0]!.kind, 'leaver');
});

test('an authoritative source: a joiner for someone the directory does not have is accepted and delivered with the pushed record, marked authoritative', async () => {
  const anchor = uniqueId('hr-new');
  const body = { kind: 'joiner', anchor, reason: 'hired in HR', person: { username: 'newbie', email: 'newbie@example.com', department: 'Sales', groups: ['sales'] } };
  const res = await post(body, { source: 'hr-master', secret: HR_SECRET });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.body.source, 'hr-master');
  assert.equal(res.body.personFrom, 'pushed record');
  const [event] = await h.eventsOf(anchor);
  assert.equal(event!.kind, 'joiner');
  assert.equal(event!.personAuthoritative, true);
  assert.equal(event!.person?.anchor, anchor);
  assert.equal(event!.person?.username, 'newbie');
  assert.deepEqual(event!.person?.groups, ['sales']);

  // Authoritative, but with nothing to provision from: refused, naming the missing record.
  const bare = uniqueId('hr-bare');
  const missing = await post({ kind: 'joiner', anchor: bare }, { source: 'hr-master', secret: HR_SECRET });
  assert.equal(missing.status, 422, JSON.stringify(missing.body));
  assert.equal(missing.body.field, 'person');
  assert.equal(missing.body.anchor, bare);
  await h.notStarted(bare);

  // Where the directory has the person, the directory stays the source of the person data.
  const known = await h.addPerson(uniqueId('hr-known'));
  const inDirectory = await post({ kind: 'mover', anchor: known, person: { username: 'whatever' } }, { source: 'hr-master', secret: HR_SECRET });
  assert.equal(inDirectory.status, 202, JSON.stringify(inDirectory.body));
  assert.equal(inDirectory.body.personFrom, 'directory');
});

test('a source is proven by its own secret: another source\'s secret, an unknown source or the default secret under a source name get 401', async () => {
  const anchor = uniqueId('spoof');
  const body = { kind: 'joiner', anchor, person: { username: 'spoof' } };
  const asAuthoritative = await post(body, { source: 'hr-master', secret: SECRET });
  assert.equal(asAuthoritative.status, 401);
  assert.equal((await post(body, { source: 'hr-master', secret: TICKETS_SECRET })).status, 401);
  const unknown = await post(body, { source: 'payroll', secret: SECRET });
  assert.equal(unknown.status, 401);
  assert.equal(unknown.body.reason, 'unknown source');
  await h.notStarted(anchor);
});

test('unsigned, wrongly signed, and stale requests are refused with 401 and start nothing', async () => {
  const anchor = uniqueId('evil');
  const body = { kind: 'leaver', anchor };
  assert.equal((await post(body, { unsigned: true })).status, 401);
  assert.equal((await post(body, { secret: 'another-secret-of-enough-length' })).status, 401);
  const stale = await post(body, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
  assert.equal(stale.status, 401);
  assert.match(String(stale.body.reason), /window/);
  // A valid signature over a different body: tampering is detected.
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(intake.url, {
    method: 'POST',
    headers: { [SIGNATURE_HEADER]: signIntakeRequest(SECRET, ts, JSON.stringify({ kind: 'joiner', anchor })), [TIMESTAMP_HEADER]: String(ts) },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 401);
  await h.notStarted(anchor);
});

test('malformed events get 400 naming the field, and start nothing', async () => {
  const anchor = uniqueId('bad');
  const cases: [unknown, string][] = [
    [{ kind: 'promotion', anchor }, 'kind'],
    [{ kind: 'joiner' }, 'anchor'],
    [{ kind: 'joiner', anchor: 'a b*)(uid=*' }, 'anchor'],
    [{ kind: 'joiner', anchor, person: { username: 'x', email: 'not-an-email' } }, 'person.email'],
    [{ kind: 'joiner', anchor, person: { email: 'x@example.com' } }, 'person.username'],
    [{ kind: 'joiner', anchor, surprise: true }, 'surprise'],
  ];
  for (const [body, field] of cases) {
    const res = await post(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.body.field, field, JSON.stringify(body));
  }
  const notJson = await post(undefined, { raw: '{"kind":' });
  assert.equal(notJson.status, 400);
  await h.notStarted(anchor);
});

test('two sources sharing one secret are refused at start, since the header alone would then choose the source', async () => {
  await assert.rejects(h.startIntake({ hmacSecret: SECRET, sources: { 'hr-master': { hmacSecret: SECRET, authoritative: true } } }), /shares its HMAC secret/);
});

test('a leaver whose mass-change guard does not answer in time gets 503 with Retry-After, and nothing starts', async () => {
  const silent = await h.startIntake({ hmacSecret: SECRET, massChangeGuard: () => new Promise(() => undefined), guardTimeoutMs: 300 });
  const anchor = uniqueId('unanswered');
  const res = await h.post(silent, { kind: 'leaver', anchor, reason: 'contract ended' }, { secret: SECRET });
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.match(String(res.body.detail), /did not answer within 0.3 s/);
  assert.equal(res.headers.get('retry-after'), '30');
  await h.notStarted(anchor);
});
