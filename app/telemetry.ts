/**
 * The `telemetry:` section: a Prometheus endpoint on the worker processes (the Temporal SDK's runtime
 * metrics and idsync's own, lib/metrics.ts, on one port) and OpenTelemetry tracing to an OTLP/HTTP
 * collector (app/tracing.ts). Both are off unless configured. The environment overrides the file, as
 * TEMPORAL_ADDRESS does, so one deployment file can switch them on for every process:
 * IDSYNC_METRICS_BIND_ADDRESS and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (OpenTelemetry's own name).
 */
import { z } from 'zod';
import { strictObject } from '../lib/config-schema';

/**
 * Why `address` cannot be bound by the SDK's Prometheus exporter ("host:port", IPv6 in brackets), or
 * null. The exporter would otherwise fail inside the native runtime with a message naming no setting.
 */
export function bindAddressProblem(address: string): string | null {
  const match = /^(\[[0-9A-Fa-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z0-9_.-]+):(\d+)$/.exec(address);
  if (!match) return 'expected host:port to listen on, e.g. 0.0.0.0:9464 or 127.0.0.1:9464 (no scheme, no path)';
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `port ${match[2]} is out of range: expected a port from 1 to 65535`;
  return null;
}

const bindAddress = z.string().superRefine((address, ctx) => {
  const problem = bindAddressProblem(address);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const otlpEndpoint = z.url({ protocol: /^https?$/, error: 'expected the collector\'s OTLP/HTTP traces URL, e.g. http://otel-collector:4318/v1/traces' });

export const telemetryConfigSchema = strictObject({
  metrics: strictObject({
    /** Serves GET /metrics on this address (every worker process: its own port). */
    prometheus: strictObject({ bindAddress }).optional(),
  }).optional(),
  tracing: strictObject({
    /** Spans go to this OTLP/HTTP endpoint; without it nothing is exported. */
    otlp: strictObject({ endpoint: otlpEndpoint }).optional(),
    /** `service.name` of every span this process exports. */
    serviceName: z.string().min(1).max(100).default('idsync'),
  }).optional(),
});

export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;

/** What a process switches on, after the environment's overrides. */
export interface TelemetrySettings {
  prometheusBindAddress?: string;
  otlpEndpoint?: string;
  serviceName: string;
}

export const TELEMETRY_ENV = { metricsBindAddress: 'IDSYNC_METRICS_BIND_ADDRESS', otlpTracesEndpoint: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' } as const;

/** Problems with the telemetry overrides in the environment, worded like config problems. */
export function telemetryEnvironmentProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const address = env[TELEMETRY_ENV.metricsBindAddress];
  const addressProblem = address ? bindAddressProblem(address) : null;
  if (addressProblem) problems.push(`${TELEMETRY_ENV.metricsBindAddress} (overrides telemetry.metrics.prometheus.bindAddress): ${addressProblem}`);
  const endpoint = env[TELEMETRY_ENV.otlpTracesEndpoint];
  if (endpoint && !otlpEndpoint.safeParse(endpoint).success) {
    problems.push(`${TELEMETRY_ENV.otlpTracesEndpoint} (overrides telemetry.tracing.otlp.endpoint): expected an http(s) URL, e.g. http://otel-collector:4318/v1/traces`);
  }
  return problems;
}

export function telemetrySettings(config: TelemetryConfig | undefined, env: NodeJS.ProcessEnv = process.env, defaultServiceName = 'idsync'): TelemetrySettings {
  const prometheusBindAddress = env[TELEMETRY_ENV.metricsBindAddress] || config?.metrics?.prometheus?.bindAddress;
  const otlpEndpoint = env[TELEMETRY_ENV.otlpTracesEndpoint] || config?.tracing?.otlp?.endpoint;
  return {
    ...(prometheusBindAddress ? { prometheusBindAddress } : {}),
    ...(otlpEndpoint ? { otlpEndpoint } : {}),
    serviceName: config?.tracing?.serviceName ?? defaultServiceName,
  };
}

/**
 * The Temporal runtime's `telemetryOptions` (Runtime.install): the Prometheus exporter when a bind
 * address is set. Counters keep the names they are created with (idsync's end in _total already);
 * the SDK's own keep theirs (temporal_activity_execution_latency, temporal_workflow_completed, ...).
 */
export function temporalTelemetryOptions(settings: TelemetrySettings): { metrics?: { prometheus: { bindAddress: string } } } {
  return settings.prometheusBindAddress ? { metrics: { prometheus: { bindAddress: settings.prometheusBindAddress } } } : {};
}
