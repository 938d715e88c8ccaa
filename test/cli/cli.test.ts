/**
 * The idsync CLI as operators run it: a real child process with a config file, against the real
 * Temporal dev server, slapd and SCIM emulators. Workflows run on this file's own workers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { testEnv } from '../support/env';
import { PROJECT_ROOT } from '../../scripts/local-services';
import { runStatusQuery, runWorkflowId } from '../../workflows/person-messages';
import { personWorkflowId } from '../../lib/names';
import { SEARCH_ATTRIBUTE_KEYS } from '../../lib/search-attributes';
import { addPerson, createFixture, event, eventually, scimAccount, sendEvent, startWorkers, TEST_POLICY, uniqueQueues, waitForOutcome, type Fixture } from '../workflows/support/harness';

const run = promisify(execFile);
let fx: Fixture;
let connection: Connection;
let native: NativeConnection;
let client: Client;
let workers: Awaited<ReturnType<typeof startWorkers>>;
let configPath: string;
const queues = uniqueQueues('cli');

before(async () => {
  fx = await createFixture('cli');
  configPath = join(testEnv.scratchDir('cli-config'), 'idsync.yaml');
  const targets = Object.fromEntries(Object.entries(fx.config.targets).map(([name, t]) => [name, { ...t }]));
  writeFileSync(
    configPath,
    toYaml({ temporal: { address: testEnv.temporalAddress(), namespace: 'default' }, directory: fx.config.directory, targets, policy: TEST_POLICY, audit: { path: fx.auditPath }, encryption: { mode: 'off' } }),
  );
  connection = await Connection.connect({ address: testEnv.temporalAddress() });
  native = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  client = new Client({ connection });
  workers = await startWorkers(native, fx.runtime, queues);
  await addPerson(fx, 'cli.boss', ['staff']);
  await addPerson(fx, 'cli.other', ['staff']);
});

after(async () => {
  await workers?.shutdown();
  await native?.close();
  await connection?.close();
  await fx?.close();
});

const FROM_SOURCES = ['--import', 'tsx', join(PROJECT_ROOT, 'cli', 'idsync.ts')];
/** The package's bin (`npx idsync`), which runs dist/cli/idsync.js once `npm run build` has compiled it. */
const COMPILED_BIN = [join(PROJECT_ROOT, 'bin', 'idsync.js')];

async function idsync(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return idsyncWith(FROM_SOURCES, args);
}

async function idsyncWith(entry: string[], args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...entry, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...fx.env, IDSYNC_CONFIG: configPath },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

test('plan is a dry run: per-target lines with the rule behind each, nothing applied', async () => {
  await addPerson(fx, 'cli.plan', ['support', 'support-leads', 'desk-admins']);
  const text = await idsync('plan', 'cli.plan');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /desk-birthright/);
  assert.match(text.stdout, /Team Leads.*desk-leads/);
  assert.match(text.stdout, /Approval: 1 privileged grant\(s\) wait[\s\S]*desk group "Admins"/);
  assert.match(text.stdout, /Dry run: nothing was applied/);
  const json = await idsync('plan', 'cli.plan@example.com', '--json');
  assert.equal(json.code, 0);
  const plan = JSON.parse(json.stdout) as { targets: { target: string; inScope: boolean }[] };
  assert.deepEqual(plan.targets.map((t) => [t.target, t.inScope]), [['desk', true], ['wiki', false]]);
  assert.equal(await scimAccount(fx.emulators, 'desk', 'cli.plan@example.com'), undefined, 'nothing was created');
});

test('status shows the pending approval; approve answers synchronously, refusing an unauthorised approver', async () => {
  const anchor = await addPerson(fx, 'cli.priv', ['support', 'desk-admins'], { manager: fx.ldap.personDn('cli.boss') });
  const ev = event(anchor, 'joiner');
  await sendEvent(client, queues, ev);
  const runId = runWorkflowId('joiner', anchor, ev.eventId);
  await eventually('approval pending', async () => ((await client.workflow.getHandle(runId).query(runStatusQuery).catch(() => undefined))?.approval?.state === 'pending' ? true : undefined));

  const status = await idsync('status', 'cli.priv');
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /approval pending since/);
  assert.match(status.stdout, /desk: group "Admins" \[rule desk-admins\]/);

  const refused = await idsync('approve', 'cli.priv', '--as', 'cli.other');
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /refused/);
  const self = await idsync('approve', runId, '--as', 'cli.priv');
  assert.equal(self.code, 1);
  assert.match(self.stdout, /approve refused: .*own access/);

  const approved = await idsync('approve', 'cli.priv', '--as', 'cli.boss', '--comment', 'ok for the rollout', '--json');
  assert.equal(approved.code, 0, approved.stderr);
  assert.deepEqual(JSON.parse(approved.stdout), { run: runId, accepted: true, state: 'approved', message: 'approved by cli.boss' });
  await waitForOutcome(client, anchor, ev.eventId);
  assert.deepEqual((await scimAccount(fx.emulators, 'desk', 'cli.priv@example.com'))?.groups, ['Admins', 'Agents']);
});

test('sync provisions on demand and reports the outcome', async () => {
  const anchor = await addPerson(fx, 'cli.sync', ['staff']);
  // The person's workflow runs on this file's queues; sync signals it.
  const ev = event(anchor, 'joiner');
  await sendEvent(client, queues, ev);
  await waitForOutcome(client, anchor, ev.eventId);
  await fx.ldap.addValues(fx.ldap.groupDn('editors'), 'member', [fx.ldap.personDn('cli.sync')]).catch(async () => fx.ldap.addGroup('editors', [fx.ldap.personDn('cli.sync')]));
  const result = await idsync('sync', 'cli.sync', '--wait', '90');
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /sync of cli\.sync: converged/);
  assert.deepEqual((await scimAccount(fx.emulators, 'wiki', 'cli.sync@example.com'))?.groups, ['Editors', 'Readers']);
});

test('audit verify: 0 on an intact log, 1 naming the line after tampering', async () => {
  const ok = await idsync('audit', 'verify');
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /intact/);
  const copy = join(testEnv.scratchDir('cli-audit'), 'tampered.log');
  const lines = readFileSync(fx.auditPath, 'utf8').split('\n').filter(Boolean);
  lines[1] = lines[1]!.replace('"idsync"', '"mallory"');
  writeFileSync(copy, lines.map((l) => `${l}\n`).join(''));
  const broken = await idsync('audit', 'verify', '--file', copy);
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /BROKEN at line 2/);
});

test('usage and configuration errors exit with 2', async () => {
  assert.equal((await idsync('frobnicate')).code, 2);
  assert.equal((await idsync('approve', 'someone')).code, 2, 'approve without --as');
  assert.equal((await idsync('status', 'x', '--config', '/nonexistent/idsync.yaml')).code, 2);
  const help = await idsync('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit codes/);
});

test('the compiled bin (npx idsync): help without loading any command module, status of a provisioned person', async () => {
  // `npm run build`'s compile step (the workflow bundle is not needed by the CLI); incremental, so quick when up to date.
  await run(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PROJECT_ROOT, 'tsconfig.build.json')], { cwd: PROJECT_ROOT, timeout: 300_000 });
  const help = await idsyncWith(COMPILED_BIN, ['--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Exit codes/);
  assert.equal(help.stderr, '', 'ran dist/, not the sources');
  // What keeps --help instant: the Temporal client, zod and the policy are loaded by the commands that use them, not at start.
  const probe = `require(${JSON.stringify(join(PROJECT_ROOT, 'dist', 'cli', 'idsync.js'))}).main(['--help']).then(() => console.error(JSON.stringify(Object.keys(require.cache))))`;
  const loaded = JSON.parse((await run(process.execPath, ['-e', probe], { cwd: PROJECT_ROOT })).stderr) as string[];
  const heavy = loaded.filter((path) => /node_modules[\\/](@temporalio|zod|yaml|ldapts|jsforce)[\\/]|[\\/]dist[\\/](policy|app[\\/]config)/.test(path));
  assert.deepEqual(heavy, []);

  const anchor = await addPerson(fx, 'cli.bin', ['support']);
  const ev = event(anchor, 'joiner');
  await sendEvent(client, queues, ev);
  await waitForOutcome(client, anchor, ev.eventId);
  const status = await idsyncWith(COMPILED_BIN, ['status', 'cli.bin', '--json']);
  assert.equal(status.code, 0, status.stderr);
  const json = JSON.parse(status.stdout) as { status: { anchor: string; outcome?: string; links: Record<string, { accountId: string }> } };
  assert.equal(json.status.anchor, anchor);
  assert.equal(json.status.outcome, 'converged');
  const account = await scimAccount(fx.emulators, 'desk', 'cli.bin@example.com');
  assert.ok(account);
  assert.equal(json.status.links.desk?.accountId, account.id);
  const usage = await idsyncWith(COMPILED_BIN, ['status']);
  assert.equal(usage.code, 2, 'usage errors keep their exit code through the bin');
});

test('status <username> finds a leaver deleted from the directory through the keyed hash, never the username, in visibility', async () => {
  const anchor = await addPerson(fx, 'cli.gone', ['support']);
  const joiner = event(anchor, 'joiner');
  await sendEvent(client, queues, joiner);
  await waitForOutcome(client, anchor, joiner.eventId);
  const accountId = (await scimAccount(fx.emulators, 'desk', 'cli.gone@example.com'))?.id;
  assert.ok(accountId);
  await fx.ldap.remove(fx.ldap.personDn('cli.gone'));
  const leaver = event(anchor, 'leaver', 'entry deleted');
  await sendEvent(client, queues, leaver);
  await waitForOutcome(client, anchor, leaver.eventId);

  const attribute = SEARCH_ATTRIBUTE_KEYS.usernameKey;
  const published = await eventually('username key in visibility', async () => {
    const described = await client.workflow.getHandle(personWorkflowId(anchor)).describe();
    return described.typedSearchAttributes.get(attribute);
  });
  assert.match(published, /^[0-9a-f]{64}$/, 'a keyed hash, not the username');
  await eventually('listed by the username key', async () => {
    for await (const wf of client.workflow.list({ query: `${attribute.name} = "${published}"` })) return wf;
    return undefined;
  });

  const status = await idsync('status', 'cli.gone');
  assert.equal(status.code, 0, status.stdout + status.stderr);
  assert.match(status.stdout, new RegExp(`^Person ${anchor}`, 'm'));
  assert.match(status.stdout, /cli\.gone is no longer in the directory; found by the username's keyed hash/);
  assert.match(status.stdout, new RegExp(`last run: leaver \\S+: converged`));
  assert.match(status.stdout, new RegExp(`accounts: desk ${accountId}`));
  assert.match((await idsync('status', 'CLI.Gone')).stdout, /no longer in the directory/, 'usernames compare case-insensitively');
  const unknown = await idsync('status', 'cli.never-was');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stdout + unknown.stderr, /no workflow for cli\.never-was/);
});
