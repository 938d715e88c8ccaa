/**
 * The baseline's worker for bench/orchestration.ts, alone in its process (its CPU time is its own):
 * the bare workflow and, under each of idsync's activity types, one activity that replays the
 * recorded requests of the idsync activity it is given, through the same proxy to fresh emulators.
 * Queues and slots as idsync's: one directory queue, one per target.
 * Prints "ready" once polling; SIGTERM stops it.
 *   node --import tsx bench/orchestration-bare-worker.ts <recording.json> <temporal address> <origins json> <queues json>
 */
import { readFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, makeTelemetryFilterString } from '@temporalio/worker';
import { byActivity, IdMap, parseTag, replayExchanges, type RecordedExchange } from './orchestration-replay';
import type { BareResult } from './orchestration-bare-workflow';

/** Every activity type a person's joiner run may schedule. */
const IDSYNC_ACTIVITY_TYPES = ['desiredState', 'planTarget', 'accountHolders', 'recordAudit', 'ensureAccount', 'ensureEntitlements', 'suspendAccount', 'removeAccount', 'findAccount', 'readPerson'];

async function main(): Promise<void> {
  const [recordingPath, address, originsJson, queuesJson] = process.argv.slice(2);
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } } });
  const exchanges = byActivity(JSON.parse(readFileSync(recordingPath!, 'utf8')) as RecordedExchange[]);
  const origins = JSON.parse(originsJson!) as Record<string, string>;
  const queues = JSON.parse(queuesJson!) as { workflows: string; activities: { taskQueue: string; slots: number }[] };
  const ids = new IdMap();
  const replay = async (key: string): Promise<BareResult> => {
    const recorded = exchanges.get(key) ?? [];
    return recorded.length ? replayExchanges(recorded, origins, ids, parseTag(recorded[0]!.tag).workflowId) : { requests: 0, sameStatus: 0 };
  };
  const activities = Object.fromEntries(IDSYNC_ACTIVITY_TYPES.map((type) => [type, replay]));
  const connection = await NativeConnection.connect({ address: address! });
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./orchestration-bare-workflow'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never });
  const workers = [
    await Worker.create({ connection, namespace: 'default', taskQueue: queues.workflows, workflowBundle: bundle }),
    ...(await Promise.all(queues.activities.map((q) => Worker.create({ connection, namespace: 'default', taskQueue: q.taskQueue, activities, maxConcurrentActivityTaskExecutions: q.slots })))),
  ];
  const done = Promise.all(workers.map((w) => w.run()));
  process.once('SIGTERM', () => {
    for (const w of workers) w.shutdown();
    void done.finally(() => connection.close()).finally(() => process.exit(0));
  });
  console.log('ready');
  await done;
}

main().catch((err: unknown) => {
  console.error(`orchestration bench baseline worker: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
