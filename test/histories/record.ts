/**
 * Re-records the workflow histories the replay test (test/replay.test.ts) replays. Run it after an
 * intended, compatible change to the person workflows (and commit the JSON files):
 *
 *   npm run test:only -- test/histories/record.ts
 *
 * It drives one person through joiner (privileged grant approved), mover, leaver and rehire on the real
 * servers, then stores each execution's history as protobuf objects in JSON (longs, enums and bytes as
 * strings). Not the `temporal workflow show` JSON: loading that needs @temporalio/common's protojson, which
 * in this install is a different protobufjs major than @temporalio/proto's ("type must be a Type").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { testEnv } from '../support/env';
import { historyToStoredJson } from './history-files';
import { personWorkflowId } from '../../lib/names';
import { decideApprovalUpdate, runStatusQuery, runWorkflowId } from '../../workflows/person-messages';
import { addPerson, createFixture, event, eventually, joinGroup, sendEvent, startWorkers, uniqueQueues, waitForOutcome } from '../workflows/support/harness';

let client: Client;

async function exportHistory(workflowId: string, file: string): Promise<void> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  assert.ok((history.events ?? []).length > 0, `history of ${workflowId} is empty`);
  writeFileSync(join(__dirname, file), historyToStoredJson(history));
}

test('record person workflow histories', async () => {
  const fx = await createFixture('record');
  const connection = await Connection.connect({ address: testEnv.temporalAddress() });
  const native = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  client = new Client({ connection });
  const queues = uniqueQueues('record');
  const workers = await startWorkers(native, fx.runtime, queues);
  try {
    await addPerson(fx, 'rec.boss', ['staff']);
    const anchor = await addPerson(fx, 'rec.person', ['support', 'desk-admins'], { manager: fx.ldap.personDn('rec.boss') });
    const joiner = event(anchor, 'joiner');
    await sendEvent(client, queues, joiner);
    const joinerRun = client.workflow.getHandle(runWorkflowId('joiner', anchor, joiner.eventId));
    await eventually('approval pending', async () => ((await joinerRun.query(runStatusQuery).catch(() => undefined))?.approval?.state === 'pending' ? true : undefined));
    await joinerRun.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'rec.boss', comment: 'recorded' }] });
    await waitForOutcome(client, anchor, joiner.eventId);

    await joinGroup(fx, 'rec.person', 'staff');
    const mover = event(anchor, 'mover', 'groups changed: +staff');
    await sendEvent(client, queues, mover);
    await waitForOutcome(client, anchor, mover.eventId);

    await fx.ldap.replace(fx.ldap.personDn('rec.person'), 'employeeType', ['disabled']);
    const leaver = event(anchor, 'leaver', 'account disabled');
    await sendEvent(client, queues, leaver);
    await waitForOutcome(client, anchor, leaver.eventId);

    await fx.ldap.replace(fx.ldap.personDn('rec.person'), 'employeeType', ['employee']);
    const rehire = event(anchor, 'rehire', 'account re-enabled');
    await sendEvent(client, queues, rehire);
    await waitForOutcome(client, anchor, rehire.eventId);

    await exportHistory(runWorkflowId('joiner', anchor, joiner.eventId), 'joiner-approved.json');
    await exportHistory(runWorkflowId('mover', anchor, mover.eventId), 'mover.json');
    await exportHistory(runWorkflowId('leaver', anchor, leaver.eventId), 'leaver.json');
    await exportHistory(runWorkflowId('rehire', anchor, rehire.eventId), 'rehire.json');
    await exportHistory(personWorkflowId(anchor), 'person-lifecycle.json');
  } finally {
    await workers.shutdown();
    await native.close();
    await connection.close();
    await fx.close();
  }
});
