/**
 * A leaver's removal after the grace period, per target deleteMode, through the real person
 * workflow on Temporal's time-skipping test server, with both SCIM targets on scim2-server (an
 * independent SCIM service provider): "desk" deletes (2d), "wiki" only deactivates (3d). Checked
 * through the server's own GETs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ScimConfig } from '../../targets/scim';
import { testEnv } from '../support/env';
import { addPerson, event, eventually, personStatus, registerSearchAttributes, sendEvent, startWorkers, uniqueQueues, waitForOutcome, type Fixture } from '../workflows/support/harness';
import { scim2ServerSkipReason, startScim2Server, type Scim2Server } from './scim2-server';
import { scim2PersonFixture, serverView } from './third-party-support';

const skip = scim2ServerSkipReason() ?? undefined;
const DAY = 24 * 3600 * 1000;

let server: Scim2Server;
let env: TestWorkflowEnvironment;
let fx: Fixture;
let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
const queues = uniqueQueues('scim2-removal');
const desk = serverView(() => ({ server, base: server.tenants.desk! }));
const wiki = serverView(() => ({ server, base: server.tenants.wiki! }));

before(async () => {
  if (skip) return;
  server = await startScim2Server({ tenants: ['desk', 'wiki'] });
  await desk.postGroup('Agents');
  await wiki.postGroup('Readers');
  fx = await scim2PersonFixture(server, 'scim2-removal', (config) => {
    (config.targets.wiki as ScimConfig).deleteMode = 'deactivate';
  });
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testEnv.temporalTestServerPath() } } });
  await registerSearchAttributes(env.connection);
  workers = await startWorkers(env.nativeConnection, fx.runtime, queues);
});

after(async () => {
  await workers?.shutdown();
  await env?.teardown();
  await fx?.close();
  await server?.close();
});

test('leaver: suspended at once; after its grace period desk deletes the account and wiki leaves it deactivated', { skip }, async () => {
  const anchor = await addPerson(fx, 'rm.scim', ['support', 'staff']);
  const joiner = event(anchor, 'joiner');
  await sendEvent(env.client, queues, joiner);
  assert.equal((await waitForOutcome(env.client, anchor, joiner.eventId)).outcome, 'converged');
  const [deskUser] = await desk.usersWhere(`externalId eq "${anchor}"`);
  const [wikiUser] = await wiki.usersWhere(`externalId eq "${anchor}"`);
  assert.ok(deskUser && wikiUser, 'an account in each target');
  assert.deepEqual([await desk.groupsOf(deskUser.id), await wiki.groupsOf(wikiUser.id)], [['Agents'], ['Readers']]);

  await fx.ldap.remove(fx.ldap.personDn('rm.scim'));
  const leaver = event(anchor, 'leaver', 'entry deleted');
  await sendEvent(env.client, queues, leaver);
  assert.equal((await waitForOutcome(env.client, anchor, leaver.eventId)).outcome, 'converged');
  assert.deepEqual([(await desk.user(deskUser.id))?.active, (await wiki.user(wikiUser.id))?.active], [false, false], 'access cut at once in both');

  await env.sleep(DAY + DAY / 2);
  assert.equal((await desk.user(deskUser.id))?.active, false, 'desk still holds the account before its 2d grace period ends');
  await env.sleep(DAY);
  await eventually('desk removal', async () => ((await desk.user(deskUser.id)) === undefined ? true : undefined));
  await env.sleep(DAY);
  await eventually('wiki removal done', async () => ((await personStatus(env.client, anchor)).pendingRemovals.length === 0 ? true : undefined));
  const kept = await wiki.user(wikiUser.id);
  assert.deepEqual([kept?.id, kept?.active], [wikiUser.id, false], 'wiki (deleteMode deactivate) keeps the account, inactive');
});
