/**
 * OpenTelemetry tracing through @temporalio/interceptors-opentelemetry: one tracer per process, the
 * W3C trace-context propagator (so a client's span, the workflow's spans and the activities' spans
 * share one trace across processes) and an AsyncLocalStorage context manager (so an activity's span
 * is the child of the workflow span that scheduled it). Spans leave the process only through
 * PersonalDataFreeSpanProcessor: the SDK's interceptors put error messages into span status and
 * exception events, and a target's error message can quote a username or an e-mail address.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as otel from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { ClientInterceptors } from '@temporalio/client';
import type { TelemetrySettings } from './telemetry';

/**
 * Span attributes that may leave the process. The interceptors set these to Temporal identifiers
 * (workflow ids carry anchors and event ids, never a name or an e-mail: lib/names.ts). Everything
 * else, e.g. a termination reason typed by an operator, is dropped.
 */
export const EXPORTED_SPAN_ATTRIBUTES: readonly string[] = ['temporalWorkflowId', 'temporalActivityId', 'run_id', 'temporalUpdateId'];
/** Of an exception event only its type survives (the message and stack may quote a person). */
const EXPORTED_EVENT_ATTRIBUTES: readonly string[] = ['exception.type'];

function pick(attributes: otel.Attributes | undefined, allowed: readonly string[]): otel.Attributes {
  const kept: otel.Attributes = {};
  for (const key of allowed) if (attributes?.[key] !== undefined) kept[key] = attributes[key];
  return kept;
}

/** A copy of `span` with only identifiers in it: allowed attributes, the status code without its message, events without messages. */
export function withoutPersonalData(span: ReadableSpan): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanId: span.parentSpanId,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code },
    attributes: pick(span.attributes, EXPORTED_SPAN_ATTRIBUTES),
    links: span.links.map((link) => ({ context: link.context })),
    events: span.events.map((event) => ({ name: event.name, time: event.time, attributes: pick(event.attributes, EXPORTED_EVENT_ATTRIBUTES) })),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationLibrary: span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Hands every finished span to `inner` without personal data; activity and workflow spans alike pass here. */
export class PersonalDataFreeSpanProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}
  onStart(span: Span, parentContext: otel.Context): void {
    this.inner.onStart(span, parentContext);
  }
  onEnd(span: ReadableSpan): void {
    this.inner.onEnd(withoutPersonalData(span));
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** The active span context follows async calls (what @opentelemetry/context-async-hooks does, in a few lines). */
class AsyncLocalStorageContextManager implements otel.ContextManager {
  private readonly storage = new AsyncLocalStorage<otel.Context>();
  active(): otel.Context {
    return this.storage.getStore() ?? otel.ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: otel.Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(context, () => fn.apply(thisArg, args));
  }
  bind<T>(context: otel.Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (thisArg: unknown, args: unknown[]) => this.with(context, () => (target as (...a: unknown[]) => unknown).apply(thisArg, args));
    return function (this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

export interface Tracing {
  tracer: otel.Tracer;
  /** For the workflow span sink (makeWorkflowExporter): the same scrubbing processor. */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

let globalsRegistered = false;

/**
 * Tracing that hands spans to `exporter` (tests: an InMemorySpanExporter) through a batch processor,
 * scrubbed of personal data. Registers the process-wide propagator and context manager once.
 */
export function createTracing(exporter: SpanExporter, serviceName: string): Tracing {
  if (!globalsRegistered) {
    otel.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    otel.context.setGlobalContextManager(new AsyncLocalStorageContextManager());
    globalsRegistered = true;
  }
  const resource = new Resource({ 'service.name': serviceName });
  const spanProcessor = new PersonalDataFreeSpanProcessor(new BatchSpanProcessor(exporter));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  return {
    tracer: provider.getTracer('idsync'),
    spanProcessor,
    resource,
    shutdown: () => provider.shutdown(),
  };
}

/** A client's starts, signals, updates and queries as spans whose context the workflow continues. */
export function tracingClientInterceptors(tracing: Tracing | null | undefined): ClientInterceptors | undefined {
  return tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] } : undefined;
}

/** Tracing to the configured OTLP/HTTP endpoint, or null when none is configured (tracing off). */
export function tracingFromSettings(settings: TelemetrySettings): Tracing | null {
  if (!settings.otlpEndpoint) return null;
  return createTracing(new OTLPTraceExporter({ url: settings.otlpEndpoint }), settings.serviceName);
}
