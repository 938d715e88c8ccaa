/**
 * Everything a person-workflow test needs, all real: a private LDAP subtree on the run's slapd read
 * through the directory source, two SCIM emulators (targets "desk" and "wiki") driven by the SCIM
 * connector, the example-style policy, a hash-chained audit log, and workers on unique task queues.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { NativeConnection as NativeConnectionClass, Worker, bundleWorkflowCode, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { startScimEmulator, type ScimEmulatorHandle } from '../../../emulators/scim';
import { scimConfigSchema, scimTarget } from '../../../targets/scim';
import { policyConfigSchema } from '../../../policy/config';
import { createDirectorySource } from '../../../directory';
import { FileAuditLog } from '../../../audit';
import { createProvisioningActivities } from '../../../activities/provisioning';
import { personWorkflowId, SEARCH_ATTRIBUTES } from '../../../lib/names';
import type { IdsyncConfig } from '../../../app/config';
import type { Runtime } from '../../../app/runtime';
import type { IdentityEvent, IdentityEventKind } from '../../../domain/person';
import type { TargetAdapter } from '../../../targets/adapter';
import { identityEventSignal, personStatusQuery } from '../../../workflows/person-messages';
import type { PersonLifecycleOptions, PersonStatus, EventOutcome } from '../../../workflows/person-types';
import { createLdapFixture, type LdapFixture } from '../../directory/support/ldap-fixture';
import { testEnv, uniqueId } from '../../support/env';

export const TARGETS = ['desk', 'wiki'] as const;
export type TargetName = (typeof TARGETS)[number];

export const TEST_POLICY = {
  approvals: { approvers: { manager: true, groups: ['access-approvers'] }, deadline: '2h' },
  lifecycle: { gracePeriod: { wiki: '3d' } },
  targets: {
    desk: {
      scope: [{ id: 'desk-scope-support', when: { groups: ['support'] } }],
      birthright: { id: 'desk-birthright', grant: { kind: 'group', name: 'Agents' } },
      rules: [
        { id: 'desk-leads', when: { groups: ['support-leads'] }, grant: { kind: 'group', name: 'Team Leads' } },
        { id: 'desk-admins', when: { groups: ['desk-admins'] }, grant: { kind: 'group', name: 'Admins', privileged: true } },
        { id: 'desk-ghosts', when: { groups: ['ghost-hunters'] }, grant: { kind: 'group', name: 'Ghosts' } },
      ],
    },
    wiki: {
      scope: [{ id: 'wiki-scope-staff', when: { groups: ['staff'] } }],
      birthright: { id: 'wiki-birthright', grant: { kind: 'group', name: 'Readers' } },
      rules: [{ id: 'wiki-editors', when: { groups: ['editors'] }, grant: { kind: 'group', name: 'Editors' } }],
    },
  },
};

const SEEDS: Record<TargetName, { groups: string[] }> = {
  desk: { groups: ['Agents', 'Team Leads', 'Admins'] },
  wiki: { groups: ['Readers', 'Editors'] },
};

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** One webpack bundle per test process; every worker in the file reuses it. */
export function personWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../../workflows/person-lifecycle'), logger: quietBundlerLogger });
  return bundle;
}
const quietBundlerLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;

export interface Emulators {
  handles: Record<TargetName, ScimEmulatorHandle>;
  tokens: Record<TargetName, string>;
  close(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  const tokens = { desk: randomBytes(16).toString('hex'), wiki: randomBytes(16).toString('hex') };
  const [desk, wiki] = await Promise.all(TARGETS.map((t) => startScimEmulator({ token: tokens[t], seed: SEEDS[t], faultSeed: 11 })));
  const handles = { desk: desk!, wiki: wiki! };
  return { handles, tokens, close: async () => void (await Promise.allSettled([desk!.close(), wiki!.close()])) };
}

export interface Fixture {
  ldap: LdapFixture;
  emulators: Emulators;
  config: IdsyncConfig;
  runtime: Runtime;
  auditPath: string;
  /** Env a worker process needs to rebuild the same runtime (tokens by variable name). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export function buildConfig(ldap: LdapFixture, emulators: Emulators, auditPath: string): IdsyncConfig {
  const targets = Object.fromEntries(
    TARGETS.map((t) => [
      t,
      scimConfigSchema.parse({ kind: 'scim', baseUrl: emulators.handles[t].url, tokenEnv: `TEST_${t.toUpperCase()}_TOKEN`, gracePeriod: '2d', deleteMode: 'delete' }),
    ]),
  );
  return {
    temporal: { address: testEnv.temporalAddress(), namespace: 'default' },
    directory: ldap.config(),
    watcher: {},
    targets,
    policy: policyConfigSchema.parse(TEST_POLICY),
    audit: { path: auditPath },
  } as unknown as IdsyncConfig;
}

export function buildRuntime(config: IdsyncConfig, env: NodeJS.ProcessEnv): Runtime {
  const adapters = new Map<string, TargetAdapter>(TARGETS.map((t) => [t, scimTarget.createAdapter(t, config.targets[t] as never, env)]));
  return { config, adapters, directory: createDirectorySource(config.directory as never, env), audit: new FileAuditLog(config.audit.path) };
}

export async function createFixture(label: string): Promise<Fixture> {
  const [ldap, emulators] = await Promise.all([createLdapFixture(label), startEmulators()]);
  const auditPath = join(testEnv.scratchDir(label), 'audit.log');
  const config = buildConfig(ldap, emulators, auditPath);
  const env = { TEST_DESK_TOKEN: emulators.tokens.desk, TEST_WIKI_TOKEN: emulators.tokens.wiki, IDSYNC_TEST_LDAP_PASSWORD: testEnv.ldap().bindPassword };
  const runtime = buildRuntime(config, env);
  return {
    ldap,
    emulators,
    config,
    runtime,
    auditPath,
    env,
    close: async () => {
      await Promise.allSettled([...runtime.adapters.values()].map((a) => a.close?.()));
      await runtime.directory.close().catch(() => undefined);
      await Promise.allSettled([ldap.close(), emulators.close()]);
    },
  };
}

export interface Queues {
  orchestration: string;
  options: PersonLifecycleOptions;
}

export function uniqueQueues(label: string): Queues {
  const base = uniqueId(label);
  return {
    orchestration: `${base}-orchestration`,
    options: { directoryQueue: `${base}-directory`, targetQueuePrefix: `${base}-target-`, targetActivityTimeoutMs: 15_000 },
  };
}

/** Workers for one test file: the workflow queue, the directory queue and one queue per target. */
/** One test file's stack: a client, the production workers on the file's queues, and one close for all of it (and the fixture). */
export interface TestStack {
  client: Client;
  close(): Promise<void>;
}

export async function startTestStack(fx: Fixture, queues: Queues): Promise<TestStack> {
  const connection = await Connection.connect({ address: testEnv.temporalAddress() });
  const native = await NativeConnectionClass.connect({ address: testEnv.temporalAddress() });
  const client = new Client({ connection });
  const workers = await startWorkers(native, fx.runtime, queues);
  return {
    client,
    async close() {
      await workers.shutdown();
      await native.close();
      await connection.close();
      await fx.close();
    },
  };
}

export async function startWorkers(connection: NativeConnection, runtime: Runtime, queues: Queues, roles = { workflows: true, activities: true }) {
  // The person workflows' own namespace: accountHolders reads who holds a link from their search attributes.
  const clientConnection = await Connection.connect({ address: testEnv.temporalAddress() });
  const activities = createProvisioningActivities(runtime, { client: new Client({ connection: clientConnection }) });
  const workers: Worker[] = [];
  if (roles.workflows) workers.push(await Worker.create({ connection, taskQueue: queues.orchestration, workflowBundle: await personWorkflowBundle() }));
  if (roles.activities) {
    workers.push(await Worker.create({ connection, taskQueue: queues.options.directoryQueue!, activities }));
    for (const t of TARGETS) workers.push(await Worker.create({ connection, taskQueue: `${queues.options.targetQueuePrefix}${t}`, activities }));
  }
  const running = workers.map((w) => w.run());
  return {
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
      await clientConnection.close();
    },
  };
}

let eventCounter = 0;
export function event(anchor: string, kind: IdentityEventKind, reason = `${kind} in a test`, extra: Partial<IdentityEvent> = {}): IdentityEvent {
  eventCounter += 1;
  return { eventId: `e${eventCounter}-${randomBytes(3).toString('hex')}`, kind, anchor, source: 'ldap', observedAt: new Date().toISOString(), reason, ...extra };
}

export async function sendEvent(client: Client, queues: Queues, ev: IdentityEvent): Promise<void> {
  await client.workflow.signalWithStart('personLifecycleWorkflow', {
    workflowId: personWorkflowId(ev.anchor),
    taskQueue: queues.orchestration,
    args: [{ anchor: ev.anchor, options: queues.options }],
    signal: identityEventSignal,
    signalArgs: [ev],
  });
}

export async function personStatus(client: Client, anchor: string): Promise<PersonStatus> {
  return client.workflow.getHandle(personWorkflowId(anchor)).query(personStatusQuery);
}

/** Polls the person workflow until `eventId` has an outcome (real time; no timing assertion). */
export async function waitForOutcome(client: Client, anchor: string, eventId: string, predicate: (o: EventOutcome) => boolean = () => true, timeoutMs = 90_000): Promise<EventOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await personStatus(client, anchor).catch(() => undefined);
    const found = status?.recent.find((o) => o.eventId === eventId && predicate(o));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no outcome for event ${eventId} of ${anchor}; status: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Polls until `check` returns a value (not undefined). */
export function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return pollUntil(what, check, { timeoutMs });
}

/** SCIM user of a person in one emulator, with the group names it belongs to. */
export async function scimAccount(emulators: Emulators, target: TargetName, userName: string) {
  const state = await emulators.handles[target].state();
  const matches = state.users.filter((u) => u.userName.toLowerCase() === userName.toLowerCase());
  if (matches.length > 1) throw new Error(`${matches.length} accounts for ${userName} in ${target}`);
  const user = matches[0];
  if (!user) return undefined;
  const groups = state.groups.filter((g) => g.members.some((m) => m.value === user.id)).map((g) => g.displayName).sort();
  return { id: user.id, active: user.active, groups, count: matches.length };
}

/** Adds a person to the fixture's subtree and to groups (created on first use); returns the anchor. */
export async function addPerson(fx: Fixture, uid: string, groups: string[], attrs: Record<string, string | string[]> = {}): Promise<string> {
  const dn = await fx.ldap.addPerson(uid, attrs);
  for (const g of groups) await joinGroup(fx, uid, g, dn);
  const person = await fx.runtime.directory.findPerson({ username: uid });
  if (!person) throw new Error(`person ${uid} not readable through the directory source`);
  return person.anchor;
}

const knownGroups = new Set<string>();
export async function joinGroup(fx: Fixture, uid: string, group: string, dn = fx.ldap.personDn(uid)): Promise<void> {
  const key = `${fx.ldap.root}/${group}`;
  if (!knownGroups.has(key)) {
    knownGroups.add(key);
    // The group lists itself too, so removing its last person never empties it (groupOfNames needs a member).
    await fx.ldap.addGroup(group, [fx.ldap.groupDn(group), dn]);
  } else await fx.ldap.addValues(fx.ldap.groupDn(group), 'member', [dn]);
}

export async function leaveGroup(fx: Fixture, uid: string, group: string): Promise<void> {
  await fx.ldap.deleteValues(fx.ldap.groupDn(group), 'member', [fx.ldap.personDn(uid)]);
}

/** The time-skipping test server starts without idsync's search attributes; the dev server has them from the runner. */
export async function registerSearchAttributes(connection: Connection): Promise<void> {
  const searchAttributes = Object.fromEntries(
    // temporal.api.enums.v1.IndexedValueType: KEYWORD = 2, KEYWORD_LIST = 7.
    Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, type === 'KeywordList' ? 7 : 2]),
  );
  await connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });
}

export { uniqueId };

// Worker state chatter drowns test output; warnings and errors still show.
import { Runtime as TemporalRuntime, DefaultLogger } from '@temporalio/worker';
import { pollUntil } from '../../support/poll';
try {
  TemporalRuntime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* already installed by another module in this process */
}
