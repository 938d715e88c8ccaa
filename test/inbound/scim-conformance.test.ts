/**
 * Two independent SCIM checkers from PyPI (scripts/scim-venv.sh) against idsync's own endpoint:
 * scim2-tester through scim2-cli, and scim-sanity's live probe. Every check's verdict is parsed;
 * the test fails on any failure not accepted in scim-conformance-allowlist.ts (with its reason).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../scripts/local-services';
import { ACCEPTED_FAILURES, type AcceptedFailure } from './scim-conformance-allowlist';
import { SCIM_TOKEN, startEndpoint, type Endpoint } from './scim-support';

const run = promisify(execFile);
let bin: string;
let endpoint: Endpoint;

before(async () => {
  bin = (await run('bash', [join(PROJECT_ROOT, 'scripts/scim-venv.sh')], { cwd: PROJECT_ROOT, timeout: 600_000 })).stdout.trim();
  endpoint = await startEndpoint('scim-conformance');
});
after(async () => endpoint?.close());

interface Verdict {
  check: string;
  passed: boolean;
  detail: string;
}

/** Runs a checker; a non-zero exit is expected when checks fail, so its output is what counts. */
async function output(command: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(join(bin, command), args, { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
    return `${stdout}\n${stderr}`;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    if (stdout === undefined) throw err;
    return `${stdout}\n${stderr ?? ''}`;
  }
}

/** scim2-tester: "SUCCESS check_name" / "ERROR check_name" (also CRITICAL), the reason on the next, indented line. */
function scim2TesterVerdicts(text: string): Verdict[] {
  const lines = text.split('\n');
  const verdicts: Verdict[] = [];
  lines.forEach((line, i) => {
    const match = /^(SUCCESS|ERROR|CRITICAL|WARNING|SKIPPED)\s+(\S+)\s*$/.exec(line);
    if (match) verdicts.push({ check: match[2]!, passed: match[1] !== 'ERROR' && match[1] !== 'CRITICAL', detail: (lines[i + 1] ?? '').trim() });
  });
  return verdicts;
}

/** scim-sanity: "  [PASS] GET /Users/{id}" / "[FAIL] ...", a detail line below some. */
function scimSanityVerdicts(text: string): Verdict[] {
  const lines = text.split('\n');
  const verdicts: Verdict[] = [];
  lines.forEach((line, i) => {
    const match = /^\s*\[(PASS|FAIL|SKIP|WARN)\]\s+(.+?)\s*$/.exec(line);
    if (match) verdicts.push({ check: match[2]!, passed: match[1] !== 'FAIL', detail: (lines[i + 1] ?? '').trim() });
  });
  return verdicts;
}

function judge(checker: AcceptedFailure['checker'], verdicts: Verdict[], minimumChecks: number): void {
  assert.ok(verdicts.length >= minimumChecks, `${checker} reported only ${verdicts.length} checks (expected at least ${minimumChecks}); did it run at all?`);
  const accepted = ACCEPTED_FAILURES.filter((a) => a.checker === checker);
  const failures = verdicts.filter((v) => !v.passed);
  const unexpected = failures.filter((f) => !accepted.some((a) => a.check === f.check));
  assert.deepEqual(unexpected.map((f) => `${f.check}: ${f.detail}`), [], `${checker}: failures not in the allow-list`);
  const stale = accepted.filter((a) => !failures.some((f) => f.check === a.check));
  assert.deepEqual(stale.map((a) => a.check), [], `${checker}: allow-listed failures that no longer fail; remove them from the list and the README`);
}

test('scim2-tester (scim2-cli) finds nothing wrong beyond the accepted failures', async () => {
  const text = await output('scim2', ['-u', endpoint.server.url, '-h', `Authorization: Bearer ${SCIM_TOKEN}`, 'test']);
  judge('scim2-tester', scim2TesterVerdicts(text), 100);
});

test('scim-sanity\'s probe finds nothing wrong beyond the accepted failures', async () => {
  const text = await output('scim-sanity', ['probe', endpoint.server.url, '--token', SCIM_TOKEN, '--i-accept-side-effects']);
  judge('scim-sanity', scimSanityVerdicts(text), 20);
});
