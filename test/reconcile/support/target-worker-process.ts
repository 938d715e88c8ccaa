/**
 * A second worker process on one target's queue (reconciliation activities, own streams), for the
 * two-worker paging test. Spec in IDSYNC_TEST_RECONCILE_WORKER (JSON). Prints "ready" once polling;
 * answers the IPC message "streamed" with how many accounts its adapter streamed; SIGTERM stops it.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { IdsyncConfig } from '../../../app/config';
import { buildRuntime, closeRuntime } from '../../../app/build-runtime';
import { createReconcileActivities } from '../../../activities/reconcile';
import { countStreamedAccounts } from './fixture';

interface Spec {
  address: string;
  config: IdsyncConfig;
  target: string;
  taskQueue: string;
  affinityAttempts: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.IDSYNC_TEST_RECONCILE_WORKER ?? '') as Spec;
  const runtime = buildRuntime(spec.config);
  const streamed = countStreamedAccounts(runtime, spec.target);
  const clientConnection = await Connection.connect({ address: spec.address });
  const connection = await NativeConnection.connect({ address: spec.address });
  const activities = createReconcileActivities(runtime, { client: new Client({ connection: clientConnection }), affinityAttempts: spec.affinityAttempts });
  const worker = await Worker.create({ connection, taskQueue: spec.taskQueue, activities });
  const running = worker.run();
  process.on('message', (message) => {
    if (message === 'streamed') process.send?.({ streamed: streamed() });
  });
  process.once('SIGTERM', () => {
    worker.shutdown();
    void running
      .then(() => closeRuntime(runtime))
      .then(() => Promise.allSettled([connection.close(), clientConnection.close()]))
      .finally(() => process.exit(0));
  });
  process.stdout.write('ready\n');
  await running;
}

main().catch((err) => {
  console.error(`reconcile worker process: ${(err as Error).stack}`);
  process.exit(1);
});
