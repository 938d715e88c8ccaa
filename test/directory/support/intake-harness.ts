/**
 * The real HTTP intake against the run's Temporal server and slapd: a private LDAP subtree for the
 * directory check, and the recording stand-in for the person workflow on a private task queue, so
 * a test sees exactly which events the intake started (or that it started none).
 */
import assert from 'node:assert/strict';
import { WorkflowNotFoundError, type Client, type Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createDirectorySource } from '../../../directory';
import type { DirectorySource } from '../../../directory/source';
import type { IdentityEvent } from '../../../domain/person';
import { personWorkflowId } from '../../../lib/names';
import { startIntakeServer, type IntakeServer, type IntakeServerOptions } from '../../../starters/intake';
import { SIGNATURE_HEADER, SOURCE_HEADER, TIMESTAMP_HEADER, signIntakeRequest } from '../../../starters/intake-request';
import { testEnv, uniqueId } from '../../support/env';
import { createLdapFixture, type LdapFixture } from './ldap-fixture';
import { connectClient, recordedEvents, terminateQueue, waitUntil } from './watcher-harness';

export interface PostOptions {
  /** The secret the request is signed with (ignored when unsigned). */
  secret: string;
  /** Sent as x-idsync-source. */
  source?: string;
  timestamp?: number;
  unsigned?: boolean;
  raw?: string;
}

export interface IntakeReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface IntakeHarness {
  client: Client;
  /** Where the recording person workflow runs: the intake's orchestration task queue. */
  taskQueue: string;
  ldap: LdapFixture;
  directory: DirectorySource;
  /** Starts an intake server on a free port with the harness's client, queue and directory; closed with the harness. */
  startIntake(opts: Omit<IntakeServerOptions, 'port' | 'client' | 'orchestrationTaskQueue' | 'directory'> & { directory?: IntakeServerOptions['directory'] }): Promise<IntakeServer>;
  /** Adds a person to the directory and returns their anchor (entryUUID). */
  addPerson(uid: string): Promise<string>;
  post(intake: IntakeServer, body: unknown, opts: PostOptions): Promise<IntakeReply>;
  notStarted(anchor: string): Promise<void>;
  eventsOf(anchor: string): Promise<IdentityEvent[]>;
  close(): Promise<void>;
}

const admitEverything = async () => ({ admitted: true });

export async function startIntakeHarness(label: string): Promise<IntakeHarness> {
  const taskQueue = uniqueId(label);
  const { client, connection }: { client: Client; connection: Connection } = await connectClient();
  const native = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  const worker = await Worker.create({ connection: native, taskQueue, workflowsPath: require.resolve('./recording-workflows') });
  const running = worker.run();
  const ldap = await createLdapFixture(label);
  const directory = createDirectorySource(ldap.config(), process.env);
  const servers: IntakeServer[] = [];

  return {
    client,
    taskQueue,
    ldap,
    directory,
    async startIntake(opts) {
      // These tests are about the intake's own checks; the mass-change guard's part is tested with a
      // real watcher in test/directory/watcher-guard.test.ts. A test may still pass its own guard.
      const server = await startIntakeServer({ directory, massChangeGuard: admitEverything, ...opts, port: 0, client, orchestrationTaskQueue: taskQueue });
      servers.push(server);
      return server;
    },
    async addPerson(uid) {
      await ldap.addPerson(uid);
      const person = await directory.findPerson({ username: uid });
      assert.ok(person, `${uid} was added to the directory`);
      return person.anchor;
    },
    async post(intake, body, opts) {
      const text = opts.raw ?? JSON.stringify(body);
      const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (opts.source) headers[SOURCE_HEADER] = opts.source;
      if (!opts.unsigned) {
        headers[SIGNATURE_HEADER] = signIntakeRequest(opts.secret, ts, text);
        headers[TIMESTAMP_HEADER] = String(ts);
      }
      const res = await fetch(intake.url, { method: 'POST', headers, body: text });
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
    },
    async notStarted(anchor) {
      await assert.rejects(client.workflow.getHandle(personWorkflowId(anchor)).describe(), WorkflowNotFoundError, `nothing started for ${anchor}`);
    },
    eventsOf(anchor) {
      return waitUntil(`the event for ${anchor}`, async () => {
        const events = await recordedEvents(client, anchor);
        return events.length > 0 ? events : undefined;
      });
    },
    async close() {
      await Promise.allSettled(servers.map((s) => s.close()));
      await terminateQueue(client, taskQueue).catch(() => undefined);
      worker.shutdown();
      await running.catch(() => undefined);
      await native.close();
      await connection.close();
      await directory.close().catch(() => undefined);
      await ldap.close();
    },
  };
}
