/**
 * A real person run on the real Temporal dev server, slapd and SCIM emulators, with idsync's data
 * converter on the client and the workers: the history the server stores holds none of the person's
 * name, e-mail or title (plaintext or base64), summaries included; the codec server decodes it over
 * HTTP for a caller with the token (and only for one), also after the key was rotated.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { defaultPayloadConverter, type DataConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { createProvisioningActivities } from '../../activities/provisioning';
import { ENCODED_FAILURE_CONVERTER_PATH, encryptingDataConverter } from '../../app/encryption';
import { connectClient } from '../../app/temporal-connection';
import { parseKeyring } from '../../lib/encryption-codec';
import { personWorkflowId } from '../../lib/names';
import { personStatusQuery } from '../../workflows/person-messages';
import { startCodecServer, type CodecServer } from '../../starters/codec-server';
import { testEnv } from '../support/env';
import { PROJECT_ROOT } from '../../scripts/local-services';
import { TEST_POLICY, TARGETS, addPerson, createFixture, event, sendEvent, uniqueQueues, waitForOutcome, type Fixture } from '../workflows/support/harness';

const OLD_KEY = `2026-10=${randomBytes(32).toString('base64')}`;
const NEW_KEY = `2026-11=${randomBytes(32).toString('base64')}`;
const TOKEN = randomBytes(24).toString('base64url');
const UI_ORIGIN = 'http://127.0.0.1:8233';
const suffix = randomBytes(3).toString('hex');
const SECRET_PERSON = { uid: `zwrz${suffix}`, name: `Zofia Wrzesniewska${suffix}`, mail: `zofia.wrzesniewska.${suffix}@example.com`, title: `Principal Payroll Auditor ${suffix}` };

let fx: Fixture;
let native: NativeConnection;
let client: Client;
let workers: Worker[] = [];
let running: Promise<void>[] = [];
let codec: CodecServer;
/** The person the first test provisions. */
let provisionedAnchor: string | undefined;
const queues = uniqueQueues('crypto-history');

before(async () => {
  fx = await createFixture('crypto-history');
  // Written with the old key only; the codec server below already runs with the rotated keyring.
  const dataConverter: DataConverter = encryptingDataConverter(parseKeyring(OLD_KEY, 'test'));
  // The production client path: connectClient builds the same converter from the config's keysEnv.
  client = await connectClient({ ...fx.config, encryption: { mode: 'aes-256-gcm', keysEnv: 'IDSYNC_TEST_KEYS' } }, { IDSYNC_TEST_KEYS: OLD_KEY });
  native = await NativeConnection.connect({ address: testEnv.temporalAddress() });
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows/person-lifecycle'),
    failureConverterPath: ENCODED_FAILURE_CONVERTER_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
  });
  const activities = createProvisioningActivities(fx.runtime, { client });
  const common = { connection: native, dataConverter };
  workers = [
    await Worker.create({ ...common, taskQueue: queues.orchestration, workflowBundle: bundle }),
    await Worker.create({ ...common, taskQueue: queues.options.directoryQueue!, activities }),
    ...(await Promise.all(TARGETS.map((t) => Worker.create({ ...common, taskQueue: `${queues.options.targetQueuePrefix}${t}`, activities })))),
  ];
  running = workers.map((w) => w.run());
  codec = await startCodecServer({ keyring: parseKeyring(`${NEW_KEY}\n${OLD_KEY}`, 'test'), token: TOKEN, corsOrigins: [UI_ORIGIN] });
});

after(async () => {
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  await Promise.allSettled(running);
  await codec?.close();
  await native?.close();
  await client?.connection.close();
  await fx?.close();
});

type JsonPayload = { metadata: Record<string, string>; data: string };
const toJson = (p: temporal.api.common.v1.IPayload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/** Every string and byte array in a history, as the server would export it (bytes as base64). */
function texts(node: unknown, out: string[] = []): string[] {
  if (node instanceof Uint8Array) out.push(Buffer.from(node).toString('latin1'), Buffer.from(node).toString('base64'));
  else if (typeof node === 'string') out.push(node);
  else if (node && typeof node === 'object') for (const value of Object.values(node)) texts(value, out);
  return out;
}

/** The needle as it appears inside base64 text at each of the three byte alignments. */
function base64Forms(needle: string): string[] {
  return [0, 1, 2].map((shift) => {
    const encoded = Buffer.from(`${'x'.repeat(shift)}${needle}`).toString('base64');
    // Only whole 3-byte groups of the needle encode the same wherever it sits; the edges mix with neighbours.
    return encoded.slice(shift === 0 ? 0 : 4, encoded.length - 4);
  });
}

/** The OpenTelemetry interceptors' header: W3C trace context (ids only); the SDK sends headers without the codec. */
const TRACE_HEADER = '_tracer-data';
/** The marker patched() records: the SDK writes its details (the patch id) without the codec. */
const PATCH_MARKER = 'core_patch';

/** Payloads the SDK writes past the codec, collected apart so their content is checked instead. */
interface UncodedPayloads {
  traceHeaders: temporal.api.common.v1.IPayload[];
  patchMarkers: temporal.api.common.v1.IPayload[];
}

/**
 * Every payload in a history (inputs, results, signals, memos, user metadata, encoded failures)
 * except search attributes, which the server must read to index (identifiers only, never personal
 * data), and the trace-context headers and patch markers, collected apart in `uncoded`.
 */
function payloads(node: unknown, out: temporal.api.common.v1.IPayload[] = [], uncoded: UncodedPayloads = { traceHeaders: [], patchMarkers: [] }): temporal.api.common.v1.IPayload[] {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return out;
  const record = node as Record<string, unknown>;
  if (record.data instanceof Uint8Array && record.metadata && typeof record.metadata === 'object') out.push(record as temporal.api.common.v1.IPayload);
  else if (record.markerName === PATCH_MARKER) payloads(record.details, uncoded.patchMarkers, uncoded);
  else
    for (const [key, value] of Object.entries(record)) {
      if (key === TRACE_HEADER) uncoded.traceHeaders.push(value as temporal.api.common.v1.IPayload);
      else if (key !== 'searchAttributes') payloads(value, out, uncoded);
    }
  return out;
}

/** A patch marker holds the patch's id (one of idsync's constants) and its deprecation flag, nothing else. */
function assertOnlyPatchId(marker: temporal.api.common.v1.IPayload): void {
  const details = JSON.parse(Buffer.from(marker.data!).toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(details).sort(), ['deprecated', 'id'], 'a patch marker carries its id only');
  assert.match(String(details.id), /^[a-z0-9-]+$/, 'a patch id is a constant name');
}

/** A trace header holds nothing but W3C trace context: a traceparent (and tracestate), no other key. */
function assertOnlyTraceContext(header: temporal.api.common.v1.IPayload): void {
  const carrier = JSON.parse(Buffer.from(header.data!).toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(carrier).filter((k) => k !== 'traceparent' && k !== 'tracestate'), [], 'the trace header carries trace context only');
  assert.match(String(carrier.traceparent), /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, 'a W3C traceparent');
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${codec.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

test('a person run stores no name, e-mail or title in history; the codec server decodes it for the token holder', async () => {
  const anchor = await addPerson(fx, SECRET_PERSON.uid, ['support', 'staff'], { cn: SECRET_PERSON.name, displayName: SECRET_PERSON.name, mail: SECRET_PERSON.mail, title: SECRET_PERSON.title });
  const person = await fx.runtime.directory.getPerson(anchor);
  assert.equal(person?.title, SECRET_PERSON.title, 'the directory hands the title to idsync');
  // As the watcher delivers it: the event carries the person's record.
  const ev = event(anchor, 'joiner', 'new hire in a test', { person: person! });
  await sendEvent(client, queues, ev);
  const outcome = await waitForOutcome(client, anchor, ev.eventId);
  assert.equal(outcome.outcome, 'converged', outcome.message);
  provisionedAnchor = anchor;

  const runId = (await client.workflow.getHandle(personWorkflowId(anchor)).query(personStatusQuery)).lastResult!.workflowId;
  const histories = await Promise.all([personWorkflowId(anchor), runId].map((id) => client.workflow.getHandle(id).fetchHistory()));
  const haystack = histories.flatMap((h) => texts(h)).join('\n');
  for (const needle of [SECRET_PERSON.name, SECRET_PERSON.mail, SECRET_PERSON.title]) {
    assert.ok(!haystack.includes(needle), `"${needle}" is not in history in plaintext`);
    for (const form of base64Forms(needle)) assert.ok(!haystack.includes(form), `"${needle}" is not in history in base64 (${form})`);
  }

  const uncoded: UncodedPayloads = { traceHeaders: [], patchMarkers: [] };
  const all = histories.flatMap((h) => payloads(h, [], uncoded));
  uncoded.traceHeaders.forEach(assertOnlyTraceContext);
  uncoded.patchMarkers.forEach(assertOnlyPatchId);
  const encodings = new Set(all.map((p) => Buffer.from(p.metadata!.encoding ?? new Uint8Array()).toString()));
  assert.deepEqual([...encodings], ['binary/encrypted'], 'every payload in history is encrypted');
  const childStart = histories[1]!.events!.find((e) => e.workflowExecutionStartedEventAttributes)!;
  const summary = childStart.userMetadata?.summary;
  assert.ok(summary, 'the run has a summary');
  assert.equal(Buffer.from(summary.metadata!.encoding!).toString(), 'binary/encrypted', 'user metadata goes through the codec');
  // An operator's client decodes it: the summary names the person.
  assert.equal(await (await client.workflow.getHandle(runId).describe()).staticSummary(), `Joiner · ${SECRET_PERSON.name} (${SECRET_PERSON.uid})`);

  // The codec server, holding the rotated keyring (new key active, old key kept), decodes over HTTP.
  const body = { payloads: all.map(toJson) };
  const decodedByToken = await post('/decode', body, { authorization: `Bearer ${TOKEN}`, 'x-namespace': 'default' });
  assert.equal(decodedByToken.status, 200, await decodedByToken.clone().text());
  const decoded = ((await decodedByToken.json()) as { payloads: JsonPayload[] }).payloads;
  const plain = decoded.map((p) => Buffer.from(p.data, 'base64').toString('utf8')).join('\n');
  for (const needle of [SECRET_PERSON.name, SECRET_PERSON.mail, SECRET_PERSON.title]) assert.ok(plain.includes(needle), `the codec server decodes ${needle}`);
  assert.ok(decoded.every((p) => Buffer.from(p.metadata.encoding!, 'base64').toString() !== 'binary/encrypted'));
  const summaryDecoded = ((await (await post(`/${TOKEN}/decode`, { payloads: [toJson(summary)] })).json()) as { payloads: JsonPayload[] }).payloads[0]!;
  assert.equal(defaultPayloadConverter.fromPayload({ metadata: { encoding: Buffer.from(summaryDecoded.metadata.encoding!, 'base64') }, data: Buffer.from(summaryDecoded.data, 'base64') }), `Joiner · ${SECRET_PERSON.name} (${SECRET_PERSON.uid})`, 'the token as the endpoint path, as the UI calls it');

  // Without the token, with a wrong one, or from another web origin: nothing is decoded.
  for (const [what, response] of [
    ['no token', await post('/decode', body)],
    ['a wrong bearer token', await post('/decode', body, { authorization: `Bearer ${TOKEN}x` })],
    ['a wrong path token', await post(`/${TOKEN.slice(1)}/decode`, body)],
  ] as const) {
    assert.equal(response.status, 401, what);
    assert.ok(!(await response.text()).includes(SECRET_PERSON.mail), what);
  }
  assert.equal((await post('/decode', body, { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' })).status, 403);
});

test('failure messages are encoded in history and still read by the workflow that handles them', async () => {
  // desk has no "Ghosts" group: granting it fails that target with a non-retryable activity failure.
  const anchor = await addPerson(fx, `ghost${suffix}`, ['support', 'ghost-hunters'], { cn: `Gustav Host${suffix}`, displayName: `Gustav Host${suffix}` });
  const ev = event(anchor, 'joiner', 'new hire in a test', { person: (await fx.runtime.directory.getPerson(anchor))! });
  await sendEvent(client, queues, ev);
  const outcome = await waitForOutcome(client, anchor, ev.eventId);
  assert.equal(outcome.outcome, 'partial');
  assert.match(outcome.message ?? '', /Ghosts/, 'the run workflow decoded the failure it caught');
  const runId = (await client.workflow.getHandle(personWorkflowId(anchor)).query(personStatusQuery)).lastResult!.workflowId;
  const failures = (await client.workflow.getHandle(runId).fetchHistory()).events!.flatMap((e) => (e.activityTaskFailedEventAttributes?.failure ? [e.activityTaskFailedEventAttributes.failure] : []));
  assert.ok(failures.length > 0, 'the failed grant is in history');
  for (const failure of failures) {
    assert.equal(failure.message, 'Encoded failure');
    assert.equal(Buffer.from(failure.encodedAttributes!.metadata!.encoding!).toString(), 'binary/encrypted');
  }
});

test('the codec server answers the UI origin\'s preflight and encodes for the token holder', async () => {
  const preflight = await fetch(`${codec.url}/${TOKEN}/decode`, { method: 'OPTIONS', headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), UI_ORIGIN);
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /x-namespace/);
  const input = toJson(defaultPayloadConverter.toPayload({ comment: 'from the UI' }));
  const encoded = await post(`/${TOKEN}/encode`, { payloads: [input] }, { origin: UI_ORIGIN });
  assert.equal(encoded.status, 200);
  assert.equal(encoded.headers.get('access-control-allow-origin'), UI_ORIGIN);
  const [sealed] = ((await encoded.json()) as { payloads: JsonPayload[] }).payloads;
  assert.equal(Buffer.from(sealed!.metadata['encryption-key-id']!, 'base64').toString(), '2026-11', 'the active (new) key encrypts');
  const back = ((await (await post('/decode', { payloads: [sealed] }, { authorization: `Bearer ${TOKEN}` })).json()) as { payloads: JsonPayload[] }).payloads;
  assert.deepEqual(back, [input]);
  assert.equal((await post('/decode', { payloads: 'nope' }, { authorization: `Bearer ${TOKEN}` })).status, 400);
  const empty = await post('/encode', {}, { authorization: `Bearer ${TOKEN}` });
  assert.deepEqual(await empty.json(), { payloads: [] }, 'proto JSON omits an empty list (temporal CLI, a query without arguments)');
});

test('a process without the key cannot read what idsync wrote', async () => {
  const connection = await Connection.connect({ address: testEnv.temporalAddress() });
  try {
    const plaintextClient = new Client({ connection });
    assert.ok(provisionedAnchor, 'the run above left its person workflow');
    const id = personWorkflowId(provisionedAnchor);
    await assert.rejects(plaintextClient.workflow.getHandle(id).query(personStatusQuery), /binary\/encrypted|Unknown encoding/);
    // The current details (the UI's "Current details") are a query answer, encrypted the same way.
    const metadata = await client.workflow.getHandle(id).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', new RegExp(`^${SECRET_PERSON.name} \\(${SECRET_PERSON.uid}\\): converged`));
  } finally {
    await connection.close();
  }
});

test('idsync status <username> reads the encrypted run with the rotated keyring and links to the person in the UI', async () => {
  assert.ok(provisionedAnchor, 'the run above provisioned the person');
  const configPath = join(testEnv.scratchDir('crypto-cli'), 'idsync.yaml');
  const targets = Object.fromEntries(Object.entries(fx.config.targets).map(([name, t]) => [name, { ...t }]));
  const temporalSection = { address: testEnv.temporalAddress(), namespace: 'default', uiUrl: 'http://127.0.0.1:8233/' };
  const encryption = { keysEnv: 'IDSYNC_TEST_KEYS' };
  writeFileSync(configPath, toYaml({ temporal: temporalSection, directory: fx.config.directory, targets, policy: TEST_POLICY, audit: { path: fx.auditPath }, encryption }));
  const cli = (env: Record<string, string>) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'cli', 'idsync.ts'), 'status', SECRET_PERSON.uid, '--config', configPath], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...fx.env, ...env },
      timeout: 120_000,
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (err: { code?: number; stdout: string; stderr: string }) => ({ code: err.code ?? -1, stdout: err.stdout, stderr: err.stderr }),
    );
  const status = await cli({ IDSYNC_TEST_KEYS: `${NEW_KEY},${OLD_KEY}` });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /converged/);
  const link = `http://127.0.0.1:8233/namespaces/default/workflows?query=${encodeURIComponent(`IdsyncPerson = "${provisionedAnchor}"`)}`;
  assert.ok(status.stdout.includes(`Temporal UI: ${link}`), status.stdout);
  const keyless = await cli({ IDSYNC_TEST_KEYS: '' });
  assert.equal(keyless.code, 2, 'a missing key is a configuration error');
  assert.match(keyless.stderr, /encryption\.keysEnv \(IDSYNC_TEST_KEYS\): the environment variable is not set or empty/);
});
