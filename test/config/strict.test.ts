/**
 * Strict configuration (issue 11, item 7): an unknown key anywhere is an error at its own path with
 * the closest allowed key, an inline secret is refused without being echoed, intervals have floors
 * and the Temporal address (file or TEMPORAL_ADDRESS) is checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parse, stringify } from 'yaml';
import { ConfigError, temporalConnectionSettings, validateConfig } from '../../app/config';
import { closestKey, unknownKeyMessage } from '../../lib/config-schema';
import { TARGET_REGISTRY, targetRegistry } from '../../targets/registry';
import { commonTargetFields } from '../../targets/common-config';
import { throwawayTarget } from '../policy/support/throwaway-target';
import { PROJECT_ROOT } from '../../scripts/local-services';
import { testEnv } from '../support/env';

const CONFIG_DIR = join(PROJECT_ROOT, 'config');
const policyExample = () => parse(readFileSync(join(CONFIG_DIR, 'policy.example.yaml'), 'utf8')).policy;

/** config/demo.yaml as `npm start` fills it in, with the example policy inline. */
function demoRaw(): Record<string, any> {
  const text = readFileSync(join(CONFIG_DIR, 'demo.yaml'), 'utf8')
    .replaceAll('${IDSYNC_HOME}', '/tmp/idsync-home')
    .replaceAll('${CONFIG_DIR}', CONFIG_DIR)
    .replace(/\$\{[A-Z_]+_PORT\}/g, '4999');
  const { policyFile: _policyFile, ...raw } = parse(text) as Record<string, any>;
  return { ...raw, policy: policyExample() };
}

/** Every problem validateConfig reports, with the environment given (none by default). */
function problemsOf(raw: unknown, env: NodeJS.ProcessEnv = {}, registry = TARGET_REGISTRY): string[] {
  try {
    validateConfig(raw, 'test.yaml', registry, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

test('the demo config with its policy inline has no problem (the baseline every case below changes)', () => {
  assert.deepEqual(problemsOf(demoRaw()), []);
});

test('a typo in a top-level key names it and the key meant', () => {
  const raw = demoRaw();
  raw.targts = raw.targets;
  assert.deepEqual(problemsOf(raw), ['targts: unknown key; did you mean targets?']);
});

test('a typo in a nested key of a target names its full path, per target kind', () => {
  const raw = demoRaw();
  raw.targets.salesforce.suspendmode = 'deactivate';
  raw.targets.salesforce.groupSync = { createMising: true };
  raw.targets.hubspot.rateLimit.maxConcurrnt = 2;
  raw.targets.highspot.restBaseUri = 'https://api.example.com/v1.0';
  raw.targets['support-desk'].deleteMod = 'delete';
  assert.deepEqual(problemsOf(raw).sort(), [
    'targets.highspot.restBaseUri: unknown key; did you mean restBaseUrl?',
    'targets.hubspot.rateLimit.maxConcurrnt: unknown key; did you mean maxConcurrent?',
    'targets.salesforce.groupSync.createMising: unknown key; did you mean createMissing?',
    'targets.salesforce.suspendmode: unknown key; did you mean suspendMode?',
    'targets.support-desk.deleteMod: unknown key; did you mean deleteMode?',
  ]);
});

test('a typo in a policy key names its full path under policy', () => {
  const raw = demoRaw();
  raw.policy.approvals.deadlin = '24h';
  raw.policy.targets.salesforce.scope[0].when = { deparment: 'Sales' };
  raw.policy.targets.hubspot.rules[0].priorty = 3;
  assert.deepEqual(problemsOf(raw).sort(), [
    'policy.approvals.deadlin: unknown key; did you mean deadline?',
    'policy.targets.hubspot.rules[0].priorty: unknown key; did you mean priority?',
    'policy.targets.salesforce.scope[0].when.deparment: unknown key; did you mean department?',
  ]);
});

test('directory and watcher sections are strict too, for either directory kind', () => {
  const raw = demoRaw();
  raw.directory.people.fitler = '(objectClass=person)';
  raw.watcher.guard = { maxLeaver: 3 };
  raw.temporal.tls = { caFlie: '/etc/ca.pem' };
  assert.deepEqual(problemsOf(raw).sort(), [
    'directory.people.fitler: unknown key; did you mean filter?',
    'temporal.tls.caFlie: unknown key; did you mean caFile?',
    'watcher.guard.maxLeaver: unknown key; did you mean maxLeavers?',
  ]);
  const otds = demoRaw();
  otds.directory = { kind: 'otds', baseUrl: 'https://otds.example.com', username: 'svc', passwordEnv: 'OTDS_PASSWORD', partiton: 'Staff' };
  assert.deepEqual(problemsOf(otds), ['directory.partiton: unknown key; did you mean partition?']);
});

test('the removed watcher queue settings are refused by name, with why, not ignored', () => {
  const raw = demoRaw();
  raw.watcher.orchestrationTaskQueue = 'my-queue';
  raw.watcher.directoryTaskQueue = 'my-directory-queue';
  assert.deepEqual(problemsOf(raw).sort(), [
    'watcher.directoryTaskQueue: removed setting: directory activities always run on idsync-directory, the queue the workers poll; delete this line',
    "watcher.orchestrationTaskQueue: removed setting: no worker polls any queue but idsync-orchestration, so the watcher's events sent elsewhere would never run; delete this line",
  ]);
});

test('nothing close: no guess, the keys allowed at that spot instead', () => {
  const raw = demoRaw();
  raw.audit.rotation = 'daily';
  assert.deepEqual(problemsOf(raw), ['audit.rotation: unknown key; allowed here: path']);
  assert.equal(closestKey('zzz', ['targets', 'policy']), undefined);
  assert.equal(closestKey('POLLINTERVAL', ['pollInterval']), 'pollInterval', 'case alone is not a different key');
  assert.equal(closestKey('pollIntreval', ['pollInterval', 'pollsPerRun']), 'pollInterval', 'a transposition is one edit');
});

test('an inline secret is refused, names the ...Env field to use, and its value appears nowhere', () => {
  const secret = 'Sup3r-s3cret-value-4711';
  const raw = demoRaw();
  raw.targets.salesforce.auth.clientSecret = secret;
  raw.targets.hubspot.accessToken = secret;
  raw.targets.highspot.apiKey = secret;
  raw.targets['support-desk'].token = secret;
  raw.directory.bindPassword = secret;
  raw.intake.hmacSecret = secret;
  const env = (field: string) => `inline secrets are refused: put the value in an environment variable and name that variable in ${field}`;
  assert.deepEqual(problemsOf(raw).sort(), [
    `directory.bindPassword: ${env('bindPasswordEnv')}`,
    `intake.hmacSecret: ${env('hmacSecretEnv')}`,
    `targets.highspot.apiKey: ${env('apiKeyEnv')}`,
    `targets.hubspot.accessToken: ${env('accessTokenEnv')}`,
    `targets.salesforce.auth.clientSecret: ${env('clientSecretEnv')}`,
    `targets.support-desk.token: ${env('tokenEnv')}`,
  ]);
  const thrown = (() => {
    try {
      validateConfig(raw, 'test.yaml', TARGET_REGISTRY, {});
    } catch (err) {
      return err as Error;
    }
    return undefined;
  })();
  assert.ok(thrown instanceof ConfigError);
  assert.doesNotMatch(`${thrown.message}\n${thrown.stack}`, new RegExp(secret));
});

test('a secret under another name is refused as one; a misspelt ...Env field is a typo; a secret in an ...Env field is not a variable name', () => {
  assert.equal(unknownKeyMessage('password', ['url', 'bindDn', 'bindPasswordEnv']), 'inline secrets are refused: put the value in an environment variable and name that variable in bindPasswordEnv');
  assert.match(unknownKeyMessage('apiToken', ['baseUrl', 'pageSize']), /^unknown key; secrets never go in the config file/);
  assert.equal(unknownKeyMessage('tokenEnvv', ['baseUrl', 'tokenEnv']), 'unknown key; did you mean tokenEnv?');
  const raw = demoRaw();
  raw.targets.salesforce.auth.clientSecretEnv = 'Sup3r s3cret!';
  assert.deepEqual(problemsOf(raw), ['targets.salesforce.auth.clientSecretEnv: expected an environment variable NAME (the value is read at start-up)']);
});

test('free-form maps stay open (target names, policy maps, attribute maps, grace periods per target) and strict inside their values', () => {
  const raw = demoRaw();
  raw.targets['new-desk'] = { kind: 'scim', baseUrl: 'https://desk.example.com/scim/v2', tokenEnv: 'NEW_DESK_TOKEN' };
  raw.policy.targets['new-desk'] = { scope: [] };
  raw.policy.maps.anyNewMap = { anyKey: 'anyValue' };
  raw.policy.targets.salesforce.attributes.Custom_Field__c = '{department}';
  raw.policy.lifecycle.gracePeriod['new-desk'] = '2d';
  raw.directory.attributes.extra = ['telephoneNumber'];
  raw.policy.targets.salesforce.scope[0].when = { extra: { costCenter: { anyOf: ['42'] } } };
  assert.deepEqual(problemsOf(raw), []);
  raw.targets['new-desk'].baseUri = 'https://desk.example.com/scim/v2';
  raw.policy.targets['new-desk'].scopes = [];
  raw.policy.targets.salesforce.attributes.Custom_Field__c = { template: '{department}', requried: true };
  raw.policy.targets.salesforce.scope[0].when.extra.costCenter.anyof = ['43'];
  assert.deepEqual(problemsOf(raw).sort(), [
    'policy.targets.new-desk.scopes: unknown key; did you mean scope?',
    'policy.targets.salesforce.attributes.Custom_Field__c.requried: unknown key; did you mean required?',
    'policy.targets.salesforce.scope[0].when.extra.costCenter.anyof: unknown key; did you mean anyOf?',
    'targets.new-desk.baseUri: unknown key; did you mean baseUrl?',
  ]);
});

/** Maps keyed by names the operator chooses: any key is allowed there (their values are checked). */
const OPEN_MAPS = [/^targets$/, /^intake\.sources$/, /^reconcile\.targets$/, /^policy\.maps(\.[^.]+)?$/, /^policy\.targets$/, /^policy\.targets\.[^.]+\.attributes$/, /^policy\.lifecycle\.gracePeriod$/, /\.when\.extra$/];

/** Every object in `value` with its path as app/config.ts prints paths. */
function objectsIn(value: unknown, path = ''): { path: string; object: Record<string, unknown> }[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => objectsIn(item, `${path}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  return [{ path, object }, ...Object.entries(object).flatMap(([key, child]) => objectsIn(child, path ? `${path}.${key}` : key))];
}

test('every object of the documented example config refuses an unknown key at its own path', () => {
  const example = parse(readFileSync(join(CONFIG_DIR, 'idsync.example.yaml'), 'utf8')) as Record<string, any>;
  delete example.policyFile;
  example.policy = policyExample();
  // Optional sections the example leaves out, so their objects are walked too.
  example.directory.disabled = [{ attribute: 'userAccountControl', bitmask: 2 }];
  example.targets.salesforce.defaults = { profile: 'Standard User' };
  assert.deepEqual(problemsOf(example), []);
  const spots = objectsIn(example).filter(({ path }) => !OPEN_MAPS.some((open) => open.test(path)));
  assert.ok(spots.length > 50, `the walk reaches the nested sections (${spots.length} objects)`);
  for (const { path, object } of spots) {
    object.zzUnknownKey = true;
    const where = path ? `${path}.zzUnknownKey` : 'zzUnknownKey';
    const problems = problemsOf(example);
    delete object.zzUnknownKey;
    assert.ok(
      problems.some((p) => p.startsWith(`${where}: unknown key; allowed here: `)),
      `an unknown key at ${path || '(top level)'} is reported; got:\n${problems.join('\n')}`,
    );
  }
});

test('a section written with zod’s own strictObject is reported the same way, one line per key', () => {
  const strictLab = { ...throwawayTarget, configSchema: z.strictObject({ kind: z.literal('throwaway'), ...commonTargetFields, room: z.string().min(1) }) };
  const registry = targetRegistry([...Object.values(TARGET_REGISTRY.definitions), strictLab]);
  const raw = demoRaw();
  raw.targets.lab = { kind: 'throwaway', room: 'B-12', rooom: 'B-13', clientSecret: 'not-echoed-42' };
  raw.policy.targets.lab = { scope: [] };
  const problems = problemsOf(raw, {}, registry);
  assert.deepEqual(problems, [
    'targets.lab.rooom: unknown key; did you mean room?',
    'targets.lab.clientSecret: unknown key; secrets never go in the config file, only the names of the environment variables that hold them (fields ending in Env)',
  ]);
});

test('intervals below their floor are refused with the minimum named; at the floor they load', () => {
  const raw = demoRaw();
  raw.watcher.pollInterval = '0s';
  raw.watcher.presenceScanInterval = 0;
  raw.watcher.fullScanInterval = '30s';
  raw.intake.maxClockSkew = '500ms';
  raw.targets.hubspot.gracePeriod = '0s';
  raw.policy.lifecycle.gracePeriod = { 'support-desk': '10m' };
  raw.policy.approvals.deadline = '1m';
  assert.deepEqual(problemsOf(raw).sort(), [
    'intake.maxClockSkew: must be at least 1s',
    'policy.approvals.deadline: must be at least 5m',
    'policy.lifecycle.gracePeriod.support-desk: must be at least 1h',
    'targets.hubspot.gracePeriod: must be at least 1h',
    'watcher.fullScanInterval: must be at least 1m',
    'watcher.pollInterval: must be at least 100ms',
    'watcher.presenceScanInterval: must be at least 1s',
  ]);
  Object.assign(raw.watcher, { pollInterval: '100ms', presenceScanInterval: 1000, fullScanInterval: '1m' });
  raw.intake.maxClockSkew = '1s';
  raw.targets.hubspot.gracePeriod = '1h';
  raw.policy.lifecycle.gracePeriod = { 'support-desk': '60m' };
  raw.policy.approvals.deadline = '5m';
  assert.deepEqual(problemsOf(raw), []);
  raw.watcher.pollInterval = 'soon';
  assert.deepEqual(problemsOf(raw), ['watcher.pollInterval: expected a duration such as 2s, 500ms, 5m'], 'a malformed duration is one problem, not two');
});

test('the Temporal address must be host:port with a port 1..65535, in the file and in TEMPORAL_ADDRESS', () => {
  const withAddress = (address: string, env: NodeJS.ProcessEnv = {}) => problemsOf({ ...demoRaw(), temporal: { address } }, env);
  assert.deepEqual(withAddress('nohost:99999'), ['temporal.address: port 99999 is out of range: expected host:port with a port from 1 to 65535']);
  for (const bad of ['localhost:0', ':7233', 'temporal.example.com', 'http://temporal:7233', '::1:7233', '[::1]']) {
    assert.match(withAddress(bad).join('\n'), /^temporal\.address: /, bad);
  }
  for (const good of ['127.0.0.1:7233', 'temporal:7233', 'ns.a1b2c.tmprl.cloud:7233', '[::1]:7233', '[fe80::1%eth0]:65535']) {
    assert.deepEqual(withAddress(good), [], good);
  }
  assert.deepEqual(withAddress('127.0.0.1:7233', { TEMPORAL_ADDRESS: 'nohost:99999' }), [
    'TEMPORAL_ADDRESS (overrides temporal.address): port 99999 is out of range: expected host:port with a port from 1 to 65535',
  ]);
  const config = validateConfig(demoRaw(), 'test.yaml', TARGET_REGISTRY, {});
  assert.equal(temporalConnectionSettings(config, { TEMPORAL_ADDRESS: 'temporal.internal:7233' }).address, 'temporal.internal:7233', 'the override still wins');
  assert.equal(temporalConnectionSettings(config, {}).address, '127.0.0.1:4999');
  assert.throws(() => temporalConnectionSettings(config, { TEMPORAL_ADDRESS: 'nohost:99999' }), (e: unknown) => e instanceof ConfigError && /TEMPORAL_ADDRESS/.test(e.message));
});

test('a worker started with a typo and an inline secret exits with code 2, names both by path, and never prints the secret', () => {
  const secret = 'Sup3r-s3cret-value-0815';
  const raw = demoRaw();
  raw.targts = {};
  raw.targets.salesforce.auth.clientSecret = secret;
  const file = join(testEnv.scratchDir('strict-config'), 'idsync.yaml');
  writeFileSync(file, stringify(raw));
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'workers/main.ts'), '--config', file], {
    encoding: 'utf8',
    env: { ...process.env, TEMPORAL_ADDRESS: '' },
    timeout: 60_000,
  });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /targts: unknown key; did you mean targets\?/);
  assert.match(run.stderr, /targets\.salesforce\.auth\.clientSecret: inline secrets are refused: .* clientSecretEnv/);
  assert.doesNotMatch(run.stdout + run.stderr, new RegExp(secret));
});
