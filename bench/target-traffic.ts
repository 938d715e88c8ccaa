/**
 * What idsync's process sent to each target during a bench, counted inside that process: activities
 * (one adapter look-up per target activity attempt: every provisioning and planning activity takes
 * its adapter from runtime.adapters exactly once) and HTTP requests with their status codes, from
 * Node's diagnostics channels (node:http for the HubSpot client and jsforce, undici for fetch).
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Runtime } from '../app/runtime';
import type { TargetAdapter } from '../targets/adapter';

export interface TargetCounts {
  activities: number;
  requests: number;
  rateLimited: number;
  firstAt: number;
  lastAt: number;
}

const empty = (): TargetCounts => ({ activities: 0, requests: 0, rateLimited: 0, firstAt: 0, lastAt: 0 });

export class TargetTraffic {
  readonly counts = new Map<string, TargetCounts>();
  private readonly byPort = new Map<string, string>();

  /** Requests to `url`'s host:port are counted as `target`'s. */
  addTarget(target: string, url: string): void {
    this.byPort.set(new URL(url).host, target);
    this.counts.set(target, empty());
  }

  private seen(host: string | undefined, status?: number): void {
    const target = host ? this.byPort.get(host) : undefined;
    const c = target ? this.counts.get(target) : undefined;
    if (!c) return;
    if (status === undefined) {
      c.requests++;
      c.firstAt ||= Date.now();
      c.lastAt = Date.now();
    } else if (status === 429) c.rateLimited++;
  }

  /** Subscribes to the HTTP channels and wraps runtime.adapters; call before the workers start. */
  install(runtime: Runtime): void {
    const hostOf = (request: ClientRequest) => String(request.getHeader('host') ?? request.host);
    subscribe('http.client.request.start', (m) => this.seen(hostOf((m as { request: ClientRequest }).request)));
    subscribe('http.client.response.finish', (m) => {
      const { request, response } = m as { request: ClientRequest; response: IncomingMessage };
      this.seen(hostOf(request), response.statusCode);
    });
    const originHost = (origin: unknown) => (typeof origin === 'string' ? new URL(origin).host : (origin as URL | undefined)?.host);
    subscribe('undici:request:create', (m) => this.seen(originHost((m as { request: { origin: unknown } }).request.origin)));
    subscribe('undici:request:headers', (m) => {
      const { request, response } = m as { request: { origin: unknown }; response: { statusCode: number } };
      this.seen(originHost(request.origin), response.statusCode);
    });
    const counts = this.counts;
    const adapters = runtime.adapters;
    runtime.adapters = new (class extends Map<string, TargetAdapter> {
      override get(target: string): TargetAdapter | undefined {
        const c = counts.get(target);
        if (c) c.activities++;
        return adapters.get(target);
      }
    })(adapters);
  }
}
