/**
 * Runs the real watcher workflow + activities against the run's Temporal server and slapd, with a
 * recording stand-in for the person workflow on a private task queue.
 */
import { appendFileSync } from 'node:fs';
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createDirectoryActivities } from '../../../activities/directory';
import { createDirectorySource } from '../../../directory';
import { resolveWatcherConfig, type LdapDirectoryConfig, type WatcherConfig } from '../../../directory/config';
import type { DirectoryChanges, DirectorySource } from '../../../directory/source';
import type { IdsyncConfig } from '../../../app/config';
import { WORKFLOW_TYPES, personWorkflowId } from '../../../lib/names';
import type { IdentityEvent, Person } from '../../../domain/person';
import type { Runtime } from '../../../app/runtime';
import type { AuditRecordInput } from '../../../audit/types';
import { testEnv } from '../../support/env';
import { recordedEventsQuery } from './recording-workflows';
import { pollUntil } from '../../support/poll';

/** Lets a test repoint the directory (e.g. at an empty base DN) under a running watcher. */
export class SwitchableSource implements DirectorySource {
  constructor(public current: DirectorySource) {}
  getPerson = (anchor: string) => this.current.getPerson(anchor);
  findPerson = (q: { username?: string; email?: string }) => this.current.findPerson(q);
  listPeople = (): AsyncIterable<Person> => this.current.listPeople();
  listAnchors = (): AsyncIterable<string> => (this.current.listAnchors ? this.current.listAnchors() : (async function* () {})());
  currentCursor = () => this.current.currentCursor!();
  groupMemberAnchors = (name: string) => this.current.groupMemberAnchors(name);
  changesSince = (cursor: string | null): Promise<DirectoryChanges> => this.current.changesSince(cursor);
  close = () => this.current.close();
}

export function buildRuntime(directory: LdapDirectoryConfig, watcher: WatcherConfig, source: DirectorySource, auditFile?: string) {
  const audit: AuditRecordInput[] = [];
  const runtime: Runtime = {
    config: { directory, watcher: resolveWatcherConfig(watcher) } as unknown as IdsyncConfig,
    adapters: new Map(),
    directory: source,
    audit: {
      async append(record) {
        audit.push(record);
        if (auditFile) appendFileSync(auditFile, `${JSON.stringify(record)}\n`);
      },
    },
  };
  return { runtime, audit };
}

export interface WatcherHarness {
  client: Client;
  taskQueue: string;
  audit: AuditRecordInput[];
  source: SwitchableSource;
  startWatcher(workflowId: string): Promise<WorkflowHandle>;
  events(anchor: string): Promise<IdentityEvent[]>;
  waitForEvents(anchor: string, count: number, timeoutMs?: number): Promise<IdentityEvent[]>;
  close(): Promise<void>;
}

export async function connectClient(address = testEnv.temporalAddress()): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address });
  return { connection, client: new Client({ connection }) };
}

export async function recordedEvents(client: Client, anchor: string): Promise<IdentityEvent[]> {
  try {
    return await client.workflow.getHandle(personWorkflowId(anchor)).query(recordedEventsQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}

export function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  return pollUntil(what, probe, { timeoutMs });
}

/** Ends every workflow still running on a test's task queue (recording person workflows never finish). */
export async function terminateQueue(client: Client, taskQueue: string): Promise<void> {
  for await (const wf of client.workflow.list({ query: `TaskQueue="${taskQueue}" AND ExecutionStatus="Running"` })) {
    await client.workflow.getHandle(wf.workflowId).terminate('test finished').catch(() => undefined);
  }
}

/** Starts an in-process worker (watcher workflow + activities + recording person workflow). */
export async function startHarness(opts: { taskQueue: string; directory: LdapDirectoryConfig; watcher: WatcherConfig; worker?: boolean; temporalAddress?: string }): Promise<WatcherHarness> {
  const { connection, client } = await connectClient(opts.temporalAddress);
  const source = new SwitchableSource(createDirectorySource(opts.directory, process.env));
  const { runtime, audit } = buildRuntime(opts.directory, opts.watcher, source);
  let worker: Worker | null = null;
  let running: Promise<void> | null = null;
  let nativeConnection: NativeConnection | null = null;
  if (opts.worker !== false) {
    nativeConnection = await NativeConnection.connect({ address: opts.temporalAddress ?? testEnv.temporalAddress() });
    worker = await Worker.create({
      connection: nativeConnection,
      taskQueue: opts.taskQueue,
      workflowsPath: require.resolve('./recording-workflows'),
      activities: createDirectoryActivities(runtime, { client, personQueues: { orchestration: opts.taskQueue } }),
    });
    running = worker.run();
  }
  const started: WorkflowHandle[] = [];
  return {
    client,
    taskQueue: opts.taskQueue,
    audit,
    source,
    async startWatcher(workflowId) {
      const handle = await client.workflow.start(WORKFLOW_TYPES.directoryWatcher, {
        workflowId,
        taskQueue: opts.taskQueue,
        args: [{ activityTaskQueue: opts.taskQueue }],
      });
      started.push(handle);
      return handle;
    },
    async events(anchor) {
      return recordedEvents(client, anchor);
    },
    async waitForEvents(anchor, count, timeoutMs) {
      return waitUntil(`${count} event(s) for ${anchor}`, async () => {
        const events = await recordedEvents(client, anchor);
        return events.length >= count ? events : undefined;
      }, timeoutMs);
    },
    async close() {
      for (const handle of started) await handle.terminate('test finished').catch(() => undefined);
      await terminateQueue(client, opts.taskQueue);
      if (worker) {
        worker.shutdown();
        await running!.catch(() => undefined);
      }
      await nativeConnection?.close();
      await source.close();
      await connection.close();
    },
  };
}
