/**
 * The idsync activity worker of bench/reconcile.ts: production's buildRuntime + startWorkers (roles
 * directory and targets, idsync's fixed queue names) from a config file, alone in its process so the
 * bench reads the peak memory (VmHWM) of the process that lists, classifies and reports. The
 * orchestration role (workflow bundle, webpack at start) runs in the bench process.
 * Prints "ready" once polling; SIGTERM stops it.
 *   node --import tsx bench/reconcile-worker.ts <config.json> <temporal address>
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfigFile } from '../app/config';
import { buildRuntime, closeRuntime } from '../app/build-runtime';
import { startWorkers } from '../workers/workers';

async function main(): Promise<void> {
  const [configPath, address] = process.argv.slice(2);
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } } });
  const config = loadConfigFile(configPath!);
  const runtime = buildRuntime(config);
  const connection = await NativeConnection.connect({ address: address! });
  const clientConnection = await Connection.connect({ address: address! });
  const client = new Client({ connection: clientConnection });
  const workers = await startWorkers(runtime, { connection, namespace: 'default', client, roles: ['directory', 'targets'] });
  process.once('SIGTERM', () => {
    void workers
      .shutdown()
      .then(() => closeRuntime(runtime))
      .then(() => Promise.allSettled([connection.close(), clientConnection.close()]))
      .finally(() => process.exit(0));
  });
  console.log('ready');
  if (process.env.BENCH_TRACE_MEMORY) {
    // Where memory goes during a run: RSS against the V8 heap (used / reserved) and off-heap buffers.
    const t0 = Date.now();
    setInterval(() => {
      const m = process.memoryUsage();
      const mb = (n: number) => (n / 2 ** 20).toFixed(0);
      console.error(`mem t=${((Date.now() - t0) / 1000).toFixed(1)} rss=${mb(m.rss)} heapUsed=${mb(m.heapUsed)} heapTotal=${mb(m.heapTotal)} ext=${mb(m.external)} ab=${mb(m.arrayBuffers)}`);
    }, 500).unref();
  }
  await workers.done;
}

main().catch((err: unknown) => {
  console.error(`reconcile bench worker: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
