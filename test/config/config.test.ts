import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, loadConfigFile, validateConfig } from '../../app/config';
import { PROJECT_ROOT } from '../../scripts/local-services';
import { testEnv } from '../support/env';

const CONFIG_DIR = join(PROJECT_ROOT, 'config');

function demoYaml(): string {
  return readFileSync(join(CONFIG_DIR, 'demo.yaml'), 'utf8')
    .replaceAll('${IDSYNC_HOME}', '/tmp/idsync-home')
    .replaceAll('${CONFIG_DIR}', CONFIG_DIR)
    .replace(/\$\{[A-Z_]+_PORT\}/g, '4999');
}

test('the embedded demo config (with its policy file) is valid', () => {
  const dir = testEnv.scratchDir('config');
  const file = join(dir, 'demo.yaml');
  writeFileSync(file, demoYaml());
  const config = loadConfigFile(file);
  assert.deepEqual(Object.keys(config.targets).sort(), ['highspot', 'hubspot', 'salesforce', 'support-desk']);
  assert.equal(config.targets.hubspot!.rateLimit.activitiesPerSecond, 10.8);
});

test('the documented example config is valid', () => {
  const config = loadConfigFile(join(CONFIG_DIR, 'idsync.example.yaml'));
  assert.equal(config.targets.salesforce!.kind, 'salesforce');
});

test('an invalid config lists every problem by path', () => {
  const raw = parse(demoYaml());
  raw.targets.salesforce.loginUrl = 'not a url';
  raw.directory.url = 'http://ldap.example.com';
  raw.targets.hubspot.kind = 'hubspotty';
  raw.targets['Bad Name'] = { kind: 'scim', baseUrl: 'http://x', tokenEnv: 'T' };
  raw.targets['support-desk'].gracePeriod = 'a fortnight';
  const err = (() => {
    try {
      validateConfig(raw, 'bad.yaml');
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof ConfigError, 'a ConfigError is thrown');
  const text = err.problems.join('\n');
  assert.match(text, /^targets\.salesforce\.loginUrl: /m);
  assert.match(text, /^directory\.url: /m);
  assert.match(text, /^targets\.hubspot\.kind: /m);
  assert.match(text, /^targets\.Bad Name: /m);
  assert.match(text, /^targets\.support-desk\.gracePeriod: expected a duration/m);
});

test('directory filters are checked at start-up: each bad one is named by path with what is wrong', () => {
  const problemsFor = (people: string, groups: string) => {
    const raw = parse(demoYaml());
    raw.directory.people.filter = people;
    raw.directory.groups.filter = groups;
    try {
      validateConfig(raw, 'filters.yaml');
      return '';
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.problems.join('\n');
    }
  };
  const text = problemsFor('objectClass=person', '(|(objectClass=groupOfNames)(objectClass=group)');
  assert.match(text, /^directory\.people\.filter: an LDAP filter must be wrapped in parentheses/m);
  assert.match(text, /^directory\.groups\.filter: unbalanced parentheses/m);
  assert.match(problemsFor('(objectClass=person)(uid=*)', '(cn=*)'), /^directory\.people\.filter: an LDAP filter is one parenthesised expression/m);
  assert.match(problemsFor('((objectClass=person))', '(cn=*)'), /^directory\.people\.filter: not a valid LDAP filter: Invalid attribute name/m);
  // Nested, negated and escaped-parenthesis filters are fine (other problems of this bare config are not about them).
  assert.doesNotMatch(problemsFor('(&(objectClass=inetOrgPerson)(!(employeeType=service))(cn=a\\28b\\29))', '(|(objectClass=groupOfNames)(objectClass=group))'), /directory\./);
});

test('a policy naming a target that is not configured is refused', () => {
  const raw = parse(demoYaml());
  delete raw.targets.hubspot;
  raw.policy = parse(readFileSync(join(CONFIG_DIR, 'policy.example.yaml'), 'utf8')).policy;
  delete raw.policyFile;
  assert.throws(() => validateConfig(raw, 'x.yaml'), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('hubspot')));
});

test('a worker started with a bad config exits with code 2 and names each problem, and no secret', () => {
  const dir = testEnv.scratchDir('config');
  const raw = parse(demoYaml());
  raw.targets.salesforce.loginUrl = 'nope';
  raw.targets.salesforce.auth.clientSecretEnv = '';
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, stringify(raw));
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'workers/main.ts'), '--config', file], {
    encoding: 'utf8',
    env: { ...process.env, SALESFORCE_CLIENT_SECRET: 'super-secret-value-123' },
    timeout: 60_000,
  });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /targets\.salesforce\.loginUrl/);
  assert.match(run.stderr, /targets\.salesforce\.auth\.clientSecretEnv/);
  assert.doesNotMatch(run.stderr, /super-secret-value-123/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
});

test('a config file that is not YAML, or missing, is a config error', () => {
  const dir = testEnv.scratchDir('config');
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, 'targets: [unclosed');
  assert.throws(() => loadConfigFile(file), ConfigError);
  assert.throws(() => loadConfigFile(join(dir, 'absent.yaml')), /cannot read the file: ENOENT/);
});
