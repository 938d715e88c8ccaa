import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { personWorkflowId } from '../../lib/names';
import { startIntakeServer, type IntakeServer } from '../../starters/intake';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signIntakeRequest } from '../../starters/intake-request';
import { testEnv, uniqueId } from '../support/env';
import { connectClient, recordedEvents, terminateQueue, waitUntil } from './support/watcher-harness';
import type { Client, Connection } from '@temporalio/client';

const SECRET = 'intake-test-secret-0123456789';
const taskQueue = uniqueId('intake');
let client: Client;
let connection: Connection;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let intake: IntakeServer;

before(async () => {
  ({ client, connection } = await connectClient());
  native = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  worker = await Worker.create({ connection: native, taskQueue, workflowsPath: require.resolve('./support/recording-workflows') });
  running = worker.run();
  intake = await startIntakeServer({ port: 0, hmacSecret: SECRET, client, orchestrationTaskQueue: taskQueue });
});

after(async () => {
  await intake?.close();
  await terminateQueue(client, taskQueue).catch(() => undefined);
  worker?.shutdown();
  await running?.catch(() => undefined);
  await native?.close();
  await connection?.close();
});

async function post(body: unknown, opts: { secret?: string; timestamp?: number; unsigned?: boolean; raw?: string } = {}) {
  const text = opts.raw ?? JSON.stringify(body);
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (!opts.unsigned) {
    headers[SIGNATURE_HEADER] = signIntakeRequest(opts.secret ?? SECRET, ts, text);
    headers[TIMESTAMP_HEADER] = String(ts);
  }
  const res = await fetch(intake.url, { method: 'POST', headers, body: text });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function notStarted(anchor: string): Promise<void> {
  await assert.rejects(client.workflow.getHandle(personWorkflowId(anchor)).describe(), WorkflowNotFoundError, `nothing started for ${anchor}`);
}

test('a signed joiner starts the person workflow with the event; the same request again maps to the same event id', async () => {
  const anchor = uniqueId('hr');
  const body = { kind: 'joiner', anchor, reason: 'HR hire', person: { username: 'zara', email: 'zara@example.com', department: 'Sales', groups: ['sales'] } };
  const first = await post(body);
  assert.equal(first.status, 202);
  assert.equal(first.body.workflowId, personWorkflowId(anchor));
  const events = await waitUntil('the event', async () => {
    const evs = await recordedEvents(client, anchor);
    return evs.length > 0 ? evs : undefined;
  });
  assert.equal(events[0]!.kind, 'joiner');
  assert.equal(events[0]!.source, 'intake');
  assert.equal(events[0]!.eventId, first.body.eventId);
  assert.equal(events[0]!.person?.email, 'zara@example.com');
  assert.equal(events[0]!.person?.enabled, true);
  const again = await post(body);
  assert.equal(again.body.eventId, first.body.eventId, 'a resent request carries the same id, so the person workflow drops it');
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
  await notStarted(anchor);
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
  await notStarted(anchor);
});
