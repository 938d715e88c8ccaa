import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { computeDesiredState } from '../../policy/desired-state';
import { planPersonFromAccounts } from '../../policy/plan';
import { formatPlan } from '../../policy/plan-text';
import { testEnv, uniqueId } from '../support/env';
import { DEMO_TARGETS, NOW, examplePolicy, person } from './fixtures';
import type { policyInSandboxWorkflow } from './support/policy-workflow';

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;

test('the policy runs inside a Temporal workflow and gives exactly the result it gives outside', async () => {
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./support/policy-workflow'), logger: quietLogger });
  assert.match(bundle.code, /policy[\\/]desired-state\.ts/, 'the bundle names its modules');
  assert.doesNotMatch(bundle.code, /node_modules[\\/]zod[\\/]/, 'zod stays out of workflow code');

  const policy = examplePolicy();
  const someone = person({
    givenName: 'Zoë',
    familyName: 'Ångström',
    groups: ['salesforce-admins', 'sales', 'sales-emea', 'marketing'],
    startDate: '2026-12-01',
  });
  const taskQueue = uniqueId('policy-sandbox');
  const nativeConnection = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  const connection = await Connection.connect({ address: testEnv.temporalAddress() });
  try {
    const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle });
    const client = new Client({ connection });
    const result = await worker.runUntil(
      client.workflow.execute<typeof policyInSandboxWorkflow>('policyInSandboxWorkflow', {
        taskQueue,
        workflowId: uniqueId('policy-sandbox-wf'),
        args: [someone, policy, DEMO_TARGETS, NOW.toISOString()],
      }),
    );
    const outside = computeDesiredState(someone, policy, DEMO_TARGETS, NOW);
    assert.deepEqual(result.state, JSON.parse(JSON.stringify(outside)));
    assert.equal(result.text, formatPlan(planPersonFromAccounts(outside, {}, {})));
    assert.equal(result.state.activateAt, '2026-12-01T00:00:00.000Z');
    assert.ok(result.state.targets.find((t) => t.target === 'salesforce')?.account?.attributes.Alias === 'zangstro');
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
});
