import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { intakeConfigSchema } from '../../directory/config';
import { startConfiguredIntake } from '../../starters/intake-config';
import { uniqueId } from '../support/env';
import { startIntakeHarness, type IntakeHarness } from './support/intake-harness';

let h: IntakeHarness;

before(async () => {
  h = await startIntakeHarness('intake-config');
});

after(async () => {
  await h?.close();
});

const problems = (raw: unknown) => {
  const parsed = intakeConfigSchema.safeParse(raw);
  assert.equal(parsed.success, false, JSON.stringify(raw));
  return parsed.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
};

test('the intake section: a rate limit per source by default, no further sources unless configured', () => {
  const intake = intakeConfigSchema.parse({ hmacSecretEnv: 'SECRET' });
  assert.deepEqual(intake.rateLimit, { perSecond: 10, burst: 50 });
  assert.deepEqual(intake.sources, {});
  const withSource = intakeConfigSchema.parse({ hmacSecretEnv: 'SECRET', sources: { workday: { hmacSecretEnv: 'WORKDAY_SECRET', authoritative: true } } });
  assert.deepEqual(withSource.sources.workday, { hmacSecretEnv: 'WORKDAY_SECRET', authoritative: true });
});

test('intake sources: typos, a reserved name, an inline secret and an empty budget are config errors by path', () => {
  assert.match(problems({ hmacSecretEnv: 'S', sources: { workday: { hmacSecretEnv: 'W', authorative: true } } }), /sources\.workday: .*authorative/);
  assert.match(problems({ hmacSecretEnv: 'S', sources: { default: { hmacSecretEnv: 'W' } } }), /sources\.default: .*hmacSecretEnv/);
  assert.match(problems({ hmacSecretEnv: 'S', sources: { Workday: { hmacSecretEnv: 'W' } } }), /sources\.Workday: a source name is lower-case/);
  assert.match(problems({ hmacSecretEnv: 'S', sources: { workday: { hmacSecretEnv: 'not a name: s3cret!' } } }), /sources\.workday\.hmacSecretEnv: expected an environment variable NAME/);
  assert.match(problems({ hmacSecretEnv: 'S', rateLimit: { perSecond: 0, burst: 5 } }), /rateLimit\.perSecond/);
  assert.match(problems({ hmacSecretEnv: 'S', sources: { workday: { hmacSecretEnv: 'W', rateLimit: { perSecond: 1, burst: 0 } } } }), /sources\.workday\.rateLimit\.burst/);
});

test('started from config as the watcher does: secrets from the named variables, the configured sources and budgets apply', async () => {
  const intake = intakeConfigSchema.parse({
    port: 0,
    hmacSecretEnv: 'TEST_INTAKE_SECRET',
    rateLimit: { perSecond: 0.01, burst: 1 },
    sources: { workday: { hmacSecretEnv: 'TEST_WORKDAY_SECRET', authoritative: true, rateLimit: { perSecond: 10, burst: 10 } } },
  });
  const env = { ...process.env, TEST_INTAKE_SECRET: 'default-source-secret-0123', TEST_WORKDAY_SECRET: 'workday-source-secret-0123' };
  await assert.rejects(
    startConfiguredIntake({ directory: h.ldap.config() }, intake, h.client, h.taskQueue, { ...env, TEST_WORKDAY_SECRET: '' }),
    /intake\.sources\.workday\.hmacSecretEnv: environment variable TEST_WORKDAY_SECRET is not set/,
  );
  const server = await startConfiguredIntake({ directory: h.ldap.config() }, intake, h.client, h.taskQueue, env);
  try {
    const pushed = uniqueId('workday');
    const asWorkday = await h.post(server, { kind: 'joiner', anchor: pushed, person: { username: 'wd' } }, { source: 'workday', secret: env.TEST_WORKDAY_SECRET });
    assert.equal(asWorkday.status, 202, JSON.stringify(asWorkday.body));
    assert.equal(asWorkday.body.personFrom, 'pushed record');
    assert.equal((await h.eventsOf(pushed))[0]!.personAuthoritative, true);

    // The default source is not authoritative and has a budget of one.
    const ghost = uniqueId('ghost');
    const refused = await h.post(server, { kind: 'joiner', anchor: ghost, person: { username: 'g' } }, { secret: env.TEST_INTAKE_SECRET });
    assert.equal(refused.status, 422);
    const limited = await h.post(server, { kind: 'leaver', anchor: ghost }, { secret: env.TEST_INTAKE_SECRET });
    assert.equal(limited.status, 429);
    await h.notStarted(ghost);
  } finally {
    await server.close();
  }
});
