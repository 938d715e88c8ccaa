/**
 * The bulk-work progress line (cli/progress.ts) counted from Temporal visibility during a real first
 * provisioning: people converging, one waiting for an approval, one for a future start date, one that
 * fails, on the real dev server with this file's own workers. Scoped to this file's task queue, since
 * other test files share the namespace.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { testEnv } from '../support/env';
import { buildRuntime } from '../../app/build-runtime';
import { countProgress, followProgress, progressCommand, rateAndEta } from '../../cli/progress';
import { addPerson, createFixture, event, sendEvent, startWorkers, uniqueQueues, waitForOutcome, type Fixture } from '../workflows/support/harness';

let fx: Fixture;
let connection: Connection;
let native: NativeConnection;
let client: Client;
let workers: Awaited<ReturnType<typeof startWorkers>>;
const queues = uniqueQueues('progress');
const scope = `TaskQueue = "${queues.orchestration}"`;

before(async () => {
  fx = await createFixture('progress');
  // The start date is read from carLicense here (inetOrgPerson has no date attribute of its own), as in the timers test.
  fx.config.directory = fx.ldap.config({ attributes: { startDate: 'carLicense' } } as never) as never;
  fx.runtime = buildRuntime(fx.config, fx.env);
  connection = await Connection.connect({ address: testEnv.temporalAddress() });
  native = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  client = new Client({ connection });
  workers = await startWorkers(native, fx.runtime, queues);
});

after(async () => {
  await workers?.shutdown();
  await native?.close();
  await connection?.close();
  await fx?.runtime.directory.close().catch(() => undefined);
  await fx?.close();
});

test('a first provisioning is followed line by line until nobody is in progress, then summarised; the command counts the same', async () => {
  const boss = await addPerson(fx, 'prog.boss', ['staff']);
  const people = [
    await addPerson(fx, 'prog.one', ['support']),
    await addPerson(fx, 'prog.two', ['support']),
    await addPerson(fx, 'prog.priv', ['support', 'desk-admins'], { manager: fx.ldap.personDn('prog.boss') }),
    await addPerson(fx, 'prog.later', ['support'], { carLicense: new Date(Date.now() + 2 * 24 * 3600 * 1000).toISOString().slice(0, 10) }),
    randomUUID(), // an anchor the directory does not have: the joiner fails, not retried by itself
  ];
  assert.ok(boss);
  const events = people.map((anchor) => event(anchor, 'joiner'));
  for (const ev of events) await sendEvent(client, queues, ev);

  const written: string[] = [];
  const summary = await followProgress(client, { tty: false, write: (text) => written.push(text), scope, plainIntervalMs: 300, quietSamples: 3 });
  const expected = { people: 5, converged: 2, partial: 0, conflict: 0, failed: 1, waitingForApproval: 1, futureStart: 1, inProgress: 0 };
  assert.deepEqual(summary, expected);
  assert.ok(written.length >= 2, 'at least one progress line and the summary');
  for (const line of written) assert.match(line, /^idsync: provisioning(: | done: )\d+ people: \d+ converged, \d+ partial, \d+ waiting for approval, \d+ future start, \d+ failed; \d+ in progress.*\n$/);
  assert.ok(written.every((line) => !line.includes('\r')), 'not a TTY: whole lines, nothing rewritten');
  assert.equal(written.at(-1), 'idsync: provisioning done: 5 people: 2 converged, 0 partial, 1 waiting for approval, 1 future start, 1 failed; 0 in progress (npx idsync approvals lists what waits)\n');
  // The counts agree with what the person workflows themselves say.
  assert.equal((await waitForOutcome(client, people[0]!, events[0]!.eventId)).outcome, 'converged');
  assert.equal((await waitForOutcome(client, people[4]!, events[4]!.eventId)).outcome, 'failed');

  const once = await progressCommand(client, scope);
  assert.deepEqual(once.json, expected);
  assert.equal(once.text, '5 people: 2 converged, 0 partial, 1 waiting for approval, 1 future start, 1 failed; 0 in progress');

  // On a terminal the line is rewritten in place, and the summary replaces it.
  const tty: string[] = [];
  await followProgress(client, { tty: true, write: (text) => tty.push(text), scope, ttyIntervalMs: 100, quietSamples: 1 });
  assert.ok(tty.slice(0, -2).every((text) => text.startsWith('\r\x1b[2K')));
  assert.match(tty.at(-1)!, /^idsync: provisioning done: 5 people/);
  assert.deepEqual(await countProgress(client, scope), expected);
});

test('rate and ETA come from the people handled since the first sample', () => {
  const first = { at: 0, people: 40, inProgress: 40 };
  assert.deepEqual(rateAndEta(first, { at: 60_000, people: 40, inProgress: 30 }), { perMinute: 10, etaSeconds: 180 });
  assert.deepEqual(rateAndEta(first, { at: 60_000, people: 40, inProgress: 40 }), { perMinute: 0 });
});
