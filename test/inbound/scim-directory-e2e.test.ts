/**
 * directory.kind scim end to end: users an identity provider pushes become accounts in a target
 * through the real watcher, person workflows and SCIM connector; Entra ID's PATCH moves them;
 * active=false and DELETE are leavers; a mass DELETE is held by the mass-change guard with no
 * account cut until an operator (a pushed member of idsync-operators) approves.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideBatchUpdate, watcherStatusQuery } from '../../workflows/directory-watcher';
import { GROUP_SCHEMA, PATCH_OP, scim, user } from './scim-support';
import { startScimStack, targetAccount, waitFor, type ScimStack } from './scim-stack';

let stack: ScimStack;
let base: string;
before(async () => {
  stack = await startScimStack(
    'scim-directory-e2e',
    (port) => ({ directory: { kind: 'scim', tokenEnv: 'SCIM_STACK_INBOUND_TOKEN', port, stateDir: `${process.env.IDSYNC_TEST_RUN_DIR}/scim-directory-e2e-${port}` } as never }),
    // The first leaver in the window is released; every further one is held.
    { maxLeavers: 1, operatorGroups: ['idsync-operators'] },
  );
  base = stack.watching.scimUrl!;
});
after(async () => stack?.close());

const email = (name: string) => `${name}@example.com`;
async function pushUser(name: string): Promise<string> {
  const answer = await scim(base, 'POST', '/Users', user(name, { emails: [{ value: email(name), type: 'work', primary: true }], title: 'Agent', userType: 'employee' }));
  assert.equal(answer.status, 201);
  return answer.body.id!;
}

test('pushed users become accounts, Entra PATCHes move them, deactivation and a mass DELETE are leavers, the mass DELETE held until an operator approves', async () => {
  const ops = await pushUser('ops');
  await scim(base, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'idsync-operators', members: [{ value: ops }] });
  const support = (await scim(base, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'support' })).body.id!;

  const ada = await pushUser('ada');
  await scim(base, 'PATCH', `/Groups/${support}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: ada }] }] });
  const account = await waitFor('ada\'s support-desk account', async () => {
    const a = await targetAccount(stack.target, email('ada'));
    return a?.active ? a : undefined;
  });
  assert.equal(account.title, 'Agent');
  assert.equal(await targetAccount(stack.target, email('ops')), undefined, 'not in support: no account');

  // Entra ID: capitalised op, path-less replace with a dotted key.
  const moved = await scim(base, 'PATCH', `/Users/${ada}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', value: { title: 'Senior Agent', 'name.givenName': 'Ada' } }] });
  assert.equal(moved.status, 200);
  await waitFor('the move to reach the target', async () => (await targetAccount(stack.target, email('ada')))?.title === 'Senior Agent');

  await scim(base, 'PATCH', `/Users/${ada}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
  await waitFor('ada suspended after active=false', async () => (await targetAccount(stack.target, email('ada')))?.active === false);

  const doomed = ['b1', 'b2', 'b3', 'b4'];
  const ids: string[] = [];
  for (const name of doomed) ids.push(await pushUser(name));
  await scim(base, 'PATCH', `/Groups/${support}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: ids.map((value) => ({ value })) }] });
  for (const name of doomed) await waitFor(`${name}'s account`, async () => (await targetAccount(stack.target, email(name)))?.active === true);

  for (const id of ids) assert.equal((await scim(base, 'DELETE', `/Users/${id}`)).status, 204);
  const watcher = stack.client.workflow.getHandle(stack.watching.watcherWorkflowId);
  let last: unknown;
  const held = await waitFor('all four leavers held', async () => {
    const status = await watcher.query(watcherStatusQuery);
    last = status;
    const batch = status.pendingBatch;
    return batch && batch.leavers === 4 ? batch : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}; last watcher status: ${JSON.stringify(last)}`);
  });
  assert.match(held.reason, /leaver/);
  const lastPoll = (await watcher.query(watcherStatusQuery)).lastPollAt!;
  await waitFor('more polls', async () => Date.parse((await watcher.query(watcherStatusQuery)).lastPollAt!) - Date.parse(lastPoll) >= 1500);
  for (const name of doomed) assert.equal((await targetAccount(stack.target, email(name)))?.active, true, `${name} keeps access until an operator decides`);

  const answer = await watcher.executeUpdate(decideBatchUpdate, { args: [{ decision: 'approve', operator: 'ops', comment: 'offboarding in Entra', batchId: held.batchId }] });
  assert.equal(answer.accepted, true, JSON.stringify(answer));
  for (const name of doomed) await waitFor(`${name} suspended after approval`, async () => (await targetAccount(stack.target, email(name)))?.active === false);
});
