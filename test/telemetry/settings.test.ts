/**
 * The `telemetry:` section and its environment overrides are as strict as the rest of the config, and
 * tracing configured with an OTLP/HTTP endpoint really exports there, without personal data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SpanStatusCode } from '@opentelemetry/api';
import { ConfigError, validateConfig } from '../../app/config';
import { telemetrySettings, temporalTelemetryOptions } from '../../app/telemetry';
import { tracingFromSettings } from '../../app/tracing';
import { TARGET_REGISTRY } from '../../targets/registry';
import { PROJECT_ROOT } from '../../scripts/local-services';

const CONFIG_DIR = join(PROJECT_ROOT, 'config');

/** config/demo.yaml as `npm start` fills it in, with the example policy inline and `telemetry` as given. */
function demoWith(telemetry: unknown): Record<string, unknown> {
  const text = readFileSync(join(CONFIG_DIR, 'demo.yaml'), 'utf8')
    .replaceAll('${IDSYNC_HOME}', '/tmp/idsync-home')
    .replaceAll('${CONFIG_DIR}', CONFIG_DIR)
    .replace(/\$\{[A-Z_]+_PORT\}/g, '4999');
  const { policyFile: _policyFile, ...raw } = parse(text) as Record<string, unknown>;
  const policy = parse(readFileSync(join(CONFIG_DIR, 'policy.example.yaml'), 'utf8')).policy;
  return { ...raw, policy, ...(telemetry === undefined ? {} : { telemetry }) };
}

function problemsOf(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    validateConfig(raw, 'test.yaml', TARGET_REGISTRY, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

test('telemetry is off unless configured, and a configured section loads', () => {
  assert.deepEqual(problemsOf(demoWith(undefined)), []);
  const config = validateConfig(demoWith({ metrics: { prometheus: { bindAddress: '127.0.0.1:9464' } }, tracing: { otlp: { endpoint: 'http://collector:4318/v1/traces' } } }), 'test.yaml', TARGET_REGISTRY, {});
  assert.deepEqual(telemetrySettings(config.telemetry, {}), { prometheusBindAddress: '127.0.0.1:9464', otlpEndpoint: 'http://collector:4318/v1/traces', serviceName: 'idsync' });
  assert.deepEqual(temporalTelemetryOptions(telemetrySettings(undefined, {})), {}, 'no Prometheus exporter without an address');
  assert.deepEqual(telemetrySettings(undefined, {}, 'idsync-worker'), { serviceName: 'idsync-worker' });
});

test('unknown keys, bad addresses and bad endpoints are refused by path, in the file and in the environment', () => {
  const typo = problemsOf(demoWith({ metrics: { prometheus: { bindAdress: '0.0.0.0:9464' } } }));
  assert.ok(typo.includes('telemetry.metrics.prometheus.bindAdress: unknown key; did you mean bindAddress?'), typo.join('\n'));
  assert.match(problemsOf(demoWith({ metrics: { prometheus: { bindAddress: 'http://0.0.0.0:9464/metrics' } } })).join('\n'), /^telemetry\.metrics\.prometheus\.bindAddress: expected host:port/);
  assert.match(problemsOf(demoWith({ metrics: { prometheus: { bindAddress: '0.0.0.0:70000' } } })).join('\n'), /bindAddress: port 70000 is out of range/);
  assert.match(problemsOf(demoWith({ tracing: { otlp: { endpoint: 'grpc://collector:4317' } } })).join('\n'), /^telemetry\.tracing\.otlp\.endpoint: expected the collector's OTLP\/HTTP traces URL/);
  assert.deepEqual(problemsOf(demoWith(undefined), { IDSYNC_METRICS_BIND_ADDRESS: ':9464', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' }), [
    'IDSYNC_METRICS_BIND_ADDRESS (overrides telemetry.metrics.prometheus.bindAddress): expected host:port to listen on, e.g. 0.0.0.0:9464 or 127.0.0.1:9464 (no scheme, no path)',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (overrides telemetry.tracing.otlp.endpoint): expected an http(s) URL, e.g. http://otel-collector:4318/v1/traces',
  ]);
});

test('the environment wins over the file; an empty variable does not', () => {
  const config = validateConfig(demoWith({ metrics: { prometheus: { bindAddress: '127.0.0.1:9464' } } }), 'test.yaml', TARGET_REGISTRY, {});
  assert.equal(telemetrySettings(config.telemetry, { IDSYNC_METRICS_BIND_ADDRESS: '0.0.0.0:9500' }).prometheusBindAddress, '0.0.0.0:9500');
  assert.equal(telemetrySettings(config.telemetry, { IDSYNC_METRICS_BIND_ADDRESS: '' }).prometheusBindAddress, '127.0.0.1:9464');
  assert.equal(telemetrySettings(config.telemetry, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).otlpEndpoint, 'http://c:4318/v1/traces');
});

test('tracing with an OTLP/HTTP endpoint exports spans there, without the personal data an error message carries', async () => {
  const received: { path: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += String(chunk)));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const tracing = tracingFromSettings({ otlpEndpoint: `http://127.0.0.1:${port}/v1/traces`, serviceName: 'idsync-settings-test' });
    assert.ok(tracing, 'an endpoint switches tracing on');
    const span = tracing.tracer.startSpan('RunActivity:ensureAccount');
    span.setAttribute('temporalWorkflowId', 'idsync-joiner-anchor-1');
    span.setAttribute('temporalTerminateReason', 'asked by jane.doe@example.com');
    span.recordException(new Error('SCIM POST /Users answered 409: userName "jdoe" (jane.doe@example.com) exists'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'userName "jdoe" (jane.doe@example.com) exists' });
    span.end();
    await tracing.shutdown();
    assert.equal(received.length, 1, 'one export request');
    assert.equal(received[0]!.path, '/v1/traces');
    const body = received[0]!.body;
    for (const expected of ['RunActivity:ensureAccount', 'idsync-settings-test', 'idsync-joiner-anchor-1']) assert.ok(body.includes(expected), `the export carries ${expected}`);
    for (const personal of ['jane.doe@example.com', 'jdoe']) assert.ok(!body.includes(personal), `the export does not carry ${personal}`);
  } finally {
    server.close();
  }
});
