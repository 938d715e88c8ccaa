import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, validateConfig } from '../../app/config';
import { PROJECT_ROOT } from '../../scripts/local-services';

const CONFIG_DIR = join(PROJECT_ROOT, 'config');

/** The demo config with its policy file read in, as an object the tests can change. */
function demo(): Record<string, any> {
  const text = readFileSync(join(CONFIG_DIR, 'demo.yaml'), 'utf8')
    .replaceAll('${IDSYNC_HOME}', '/tmp/idsync-home')
    .replaceAll('${CONFIG_DIR}', CONFIG_DIR)
    .replace(/\$\{[A-Z_]+_PORT\}/g, '4999');
  const { policyFile, ...raw } = parse(text) as Record<string, any>;
  const policy = parse(readFileSync(String(policyFile), 'utf8')) as Record<string, any>;
  return { ...raw, policy: 'policy' in policy ? policy.policy : policy };
}

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, 'scim.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

test('directory.kind scim is validated strictly, with defaults, and names each problem by path', () => {
  const raw = demo();
  raw.directory = { kind: 'scim', tokenEnv: 'IDSYNC_SCIM_TOKEN', port: 8788 };
  const config = validateConfig(raw, 'scim.yaml');
  assert.equal(config.directory.kind, 'scim');
  if (config.directory.kind === 'scim') assert.deepEqual([config.directory.host, config.directory.stateDir, config.directory.maxBodyBytes], ['127.0.0.1', '.idsync/scim', 1024 * 1024]);

  raw.directory = { kind: 'scim', tokenEnv: 'IDSYNC_SCIM_TOKEN', stateDri: '/var/lib/idsync/scim', token: 'inline-secret-value', url: 'http://watcher:8788/v2' };
  const text = problems(raw).join('\n');
  assert.match(text, /^directory\.stateDri: unknown key; did you mean stateDir\?/m);
  assert.match(text, /^directory\.token: inline secrets are refused: .*tokenEnv/m);
  assert.match(text, /^directory\.url: expected the endpoint base URL, ending in \/scim\/v2/m);
  assert.doesNotMatch(text, /inline-secret-value/);
  raw.directory = { kind: 'scim' };
  assert.match(problems(raw).join('\n'), /^directory\.tokenEnv: /m);
});

test('intake.scim (beside LDAP) is validated strictly and cannot be combined with directory.kind scim', () => {
  const raw = demo();
  raw.intake = { ...(raw.intake ?? { hmacSecretEnv: 'IDSYNC_INTAKE_SECRET' }), scim: { tokenEnv: 'IDSYNC_SCIM_TOKEN', port: 8788, maxBodyBytes: 10 } };
  assert.match(problems(raw).join('\n'), /^intake\.scim\.maxBodyBytes: /m);
  raw.intake.scim = { tokenEnv: 'IDSYNC_SCIM_TOKEN', port: 8788 };
  assert.equal(validateConfig(raw, 'scim.yaml').intake?.scim?.port, 8788);
  raw.directory = { kind: 'scim', tokenEnv: 'IDSYNC_SCIM_TOKEN', port: 8790 };
  assert.match(problems(raw).join('\n'), /^intake\.scim: the directory is already the SCIM endpoint/m);
});
