/**
 * intake.scim beside an LDAP directory, end to end: SCIM pushes are an authoritative source, so a
 * pushed user who is not in LDAP becomes accounts; a group PATCH and an Entra PATCH move them;
 * active=false is a leaver the guard admits; a DELETE beyond the guard's limit is answered 202
 * with the held batch and cuts nothing until an operator (in LDAP) approves; without the guard a
 * leaver is 503 and nothing is stored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideBatchUpdate, watcherStatusQuery } from '../../workflows/directory-watcher';
import { createLdapFixture, type LdapFixture } from '../directory/support/ldap-fixture';
import { GROUP_SCHEMA, PATCH_OP, scim, user } from './scim-support';
import { startScimStack, targetAccount, waitFor, type ScimStack } from './scim-stack';

let stack: ScimStack;
let fx: LdapFixture;
let base: string;
before(async () => {
  fx = await createLdapFixture('scim-alongside');
  await fx.addGroup('idsync-operators', [await fx.addPerson('ops')]);
  stack = await startScimStack(
    'scim-alongside-e2e',
    (port) => ({
      directory: fx.config(),
      intake: { hmacSecretEnv: 'SCIM_STACK_INTAKE_SECRET', port: 0, scim: { tokenEnv: 'SCIM_STACK_INBOUND_TOKEN', port, stateDir: `${process.env.IDSYNC_TEST_RUN_DIR}/scim-alongside-${port}` } },
    }),
    { maxLeavers: 1, operatorGroups: ['idsync-operators'] },
  );
  base = stack.watching.scimUrl!;
});
after(async () => {
  await stack?.close();
  await fx?.close();
});

const email = (name: string) => `${name}@example.com`;
async function pushUser(name: string): Promise<string> {
  const answer = await scim(base, 'POST', '/Users', user(name, { emails: [{ value: email(name), type: 'work', primary: true }], title: 'Agent', userType: 'employee' }));
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.id!;
}
const active = async (name: string) => (await targetAccount(stack.target, email(name)))?.active;

test('SCIM pushes beside LDAP: joiners and movers at once, leavers through the guard (202 when held), 503 with nothing stored without it', async () => {
  const carol = await pushUser('carol');
  const support = (await scim(base, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'support', members: [{ value: carol }] })).body.id!;
  await waitFor('carol\'s account after joining support', async () => (await active('carol')) === true);
  await scim(base, 'PATCH', `/Users/${carol}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', value: { title: 'Team Lead' } }] });
  await waitFor('the move to reach the target', async () => (await targetAccount(stack.target, email('carol')))?.title === 'Team Lead');

  const dan = await pushUser('dan');
  const erin = await pushUser('erin');
  await scim(base, 'PATCH', `/Groups/${support}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: dan }, { value: erin }] }] });
  await waitFor('dan and erin\'s accounts', async () => (await active('dan')) === true && (await active('erin')) === true);

  const disabled = await scim(base, 'PATCH', `/Users/${carol}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
  assert.equal(disabled.status, 200, 'the first leaver in the window is admitted');
  await waitFor('carol suspended', async () => (await active('carol')) === false);

  const deleted = await scim(base, 'DELETE', `/Users/${dan}`);
  assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
  const held = deleted.body.held as { batchId: string; reason: string };
  assert.match(held.reason, /exceed the limit of 1/);
  assert.equal((await scim(base, 'GET', `/Users/${dan}`)).status, 404, 'the SCIM resource is gone');
  const watcher = stack.client.workflow.getHandle(stack.watching.watcherWorkflowId);
  assert.equal((await watcher.query(watcherStatusQuery)).pendingBatch?.batchId, held.batchId);
  const lastPoll = (await watcher.query(watcherStatusQuery)).lastPollAt!;
  await waitFor('more polls', async () => Date.parse((await watcher.query(watcherStatusQuery)).lastPollAt!) - Date.parse(lastPoll) >= 1500);
  assert.equal(await active('dan'), true, 'dan keeps access until an operator decides');
  const answer = await watcher.executeUpdate(decideBatchUpdate, { args: [{ decision: 'approve', operator: 'ops', comment: 'left in Entra', batchId: held.batchId }] });
  assert.equal(answer.accepted, true, JSON.stringify(answer));
  await waitFor('dan suspended after approval', async () => (await active('dan')) === false);

  await watcher.terminate('the guard is down');
  const refused = await scim(base, 'DELETE', `/Users/${erin}`);
  assert.equal(refused.status, 503);
  assert.equal((await scim(base, 'GET', `/Users/${erin}`)).status, 200, 'nothing stored: the identity provider retries later');
  assert.equal(await active('erin'), true);
});
