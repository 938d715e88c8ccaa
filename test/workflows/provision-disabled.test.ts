/**
 * provisionDisabledUsers: a person in scope whose directory account is disabled gets an inactive
 * account without access in a target that provisions disabled users, and none where it does not.
 * Through a real person run (person workflow, joiner run, planning and SCIM activities) on the run's
 * Temporal server, slapd and the SCIM emulators.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { createDirectorySource } from '../../directory';
import { addPerson, createFixture, event, scimAccount, sendEvent, startTestStack, uniqueQueues, waitForOutcome, type Fixture, type TestStack } from './support/harness';

let fx: Fixture;
let client: Client;
let stack: TestStack | undefined;
const queues = uniqueQueues('disabled');

before(async () => {
  fx = await createFixture('wf-disabled');
  // desk provisions disabled users; wiki keeps the default (no account for them).
  fx.config.policy.targets.desk!.provisionDisabledUsers = true;
  // Disabled by an attribute the policy's scope does not read (the fixture's employeeType=disabled is also out of every scope).
  await fx.runtime.directory.close();
  fx.runtime.directory = createDirectorySource(fx.ldap.config({ disabled: [{ attribute: 'description', values: ['disabled'], present: false, expired: false }] }), fx.env);
  stack = await startTestStack(fx, queues);
  client = stack.client;
});

after(async () => {
  await (stack ? stack.close() : fx?.close());
});

test('a disabled person in scope gets an inactive account without groups where the target provisions disabled users, and none elsewhere', async () => {
  const anchor = await addPerson(fx, 'dis.abled', ['support', 'support-leads', 'staff'], { description: 'disabled' });
  const joiner = event(anchor, 'joiner');
  await sendEvent(client, queues, joiner);
  const outcome = await waitForOutcome(client, anchor, joiner.eventId);
  assert.equal(outcome.outcome, 'converged', outcome.message);
  const desk = await scimAccount(fx.emulators, 'desk', 'dis.abled@example.com');
  assert.ok(desk, 'desk has an account for the disabled person');
  assert.equal(desk.active, false, 'inactive');
  assert.deepEqual(desk.groups, [], 'without any access');
  assert.equal(await scimAccount(fx.emulators, 'wiki', 'dis.abled@example.com'), undefined, 'wiki does not provision disabled users');

  // Enabled in the directory: the same account is activated and gets its groups.
  await fx.ldap.deleteValues(fx.ldap.personDn('dis.abled'), 'description', ['disabled']);
  const rehire = event(anchor, 'rehire');
  await sendEvent(client, queues, rehire);
  assert.equal((await waitForOutcome(client, anchor, rehire.eventId)).outcome, 'converged');
  const active = await scimAccount(fx.emulators, 'desk', 'dis.abled@example.com');
  assert.equal(active?.id, desk.id, 'the same account');
  assert.equal(active?.active, true);
  assert.deepEqual(active?.groups, ['Agents', 'Team Leads']);
  assert.ok(await scimAccount(fx.emulators, 'wiki', 'dis.abled@example.com'), 'wiki now has one too');
});
