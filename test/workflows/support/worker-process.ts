/**
 * A worker as its own OS process, for crash tests: runs the person workflows and the provisioning
 * activities for the queues, config and secrets given in IDSYNC_TEST_WORKER (JSON), and prints
 * "ready" once polling. The test kills it with SIGKILL and starts another.
 */
import { NativeConnection } from '@temporalio/worker';
import type { IdsyncConfig } from '../../../app/config';
import { buildRuntime, startWorkers, type Queues } from './harness';

interface WorkerSpec {
  address: string;
  config: IdsyncConfig;
  env: Record<string, string>;
  queues: Queues;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.IDSYNC_TEST_WORKER ?? '') as WorkerSpec;
  const runtime = buildRuntime(spec.config, { ...process.env, ...spec.env });
  const connection = await NativeConnection.connect({ address: spec.address });
  const workers = await startWorkers(connection, runtime, spec.queues);
  process.stdout.write('ready\n');
  const stop = async () => {
    await workers.shutdown();
    await connection.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(`worker process: ${(err as Error).stack}`);
  process.exit(1);
});
