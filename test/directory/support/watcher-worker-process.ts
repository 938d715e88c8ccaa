/**
 * A real worker process for the crash tests: the watcher activities and workflows on the test's task
 * queue. IDSYNC_WATCHER_SPEC carries the configs. With IDSYNC_CRASH_AFTER_SIGNALS=N the process
 * SIGKILLs itself right after its N-th successful signalWithStart, i.e. after delivering but before
 * the poll could write its state: the worst moment for a crash.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createDirectoryActivities } from '../../../activities/directory';
import { createDirectorySource } from '../../../directory';
import type { LdapDirectoryConfig, WatcherConfig } from '../../../directory/config';
import { testEnv } from '../../support/env';
import { buildRuntime, connectClient } from './watcher-harness';

interface Spec {
  taskQueue: string;
  workflowBundlePath: string;
  directory: LdapDirectoryConfig;
  watcher: WatcherConfig;
}

function crashingAfter(client: Client, signals: number): Client {
  let sent = 0;
  const workflow = client.workflow;
  const original = workflow.signalWithStart.bind(workflow);
  workflow.signalWithStart = (async (...args: Parameters<typeof original>) => {
    const result = await original(...args);
    if (++sent >= signals) process.kill(process.pid, 'SIGKILL');
    return result;
  }) as typeof original;
  return client;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.IDSYNC_WATCHER_SPEC ?? '') as Spec;
  const { client } = await connectClient();
  const crashAfter = Number(process.env.IDSYNC_CRASH_AFTER_SIGNALS ?? 0);
  const source = createDirectorySource(spec.directory, process.env);
  const { runtime } = buildRuntime(spec.directory, spec.watcher, source);
  const connection = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  const worker = await Worker.create({
    connection,
    taskQueue: spec.taskQueue,
    workflowBundle: { codePath: spec.workflowBundlePath },
    activities: createDirectoryActivities(runtime, { client: crashAfter > 0 ? crashingAfter(client, crashAfter) : client, personQueues: { orchestration: spec.taskQueue } }),
  });
  const running = worker.run();
  // The test holds our stdin open; if it dies (even by SIGKILL) the pipe closes and so do we.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  process.stdout.write('worker-ready\n');
  process.once('SIGTERM', () => worker.shutdown());
  await running;
  await source.close();
  await connection.close();
  process.exit(0);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
