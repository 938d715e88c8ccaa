/**
 * Recording and replay for bench/orchestration.ts. The idsync worker tags every HTTP request an
 * activity sends with the activity's identity (workflow id, activity id, type); the recording proxy
 * keeps each tagged exchange. The baseline's activities send the same requests again, in the same
 * order, to fresh emulators: ids the emulators hand out differ from run to run (HubSpot counts,
 * SCIM draws UUIDs), so an id seen in a recorded response is replaced, in the requests that follow,
 * by the id the replayed response carried at the same place.
 */
import { Context } from '@temporalio/activity';

/** Carries `<workflow id> <activity id> <activity type>` (URI-encoded parts). */
export const ACTIVITY_TAG_HEADER = 'x-bench-activity';

export interface RecordedExchange {
  tag: string;
  target: string;
  /** When the proxy received it (ms since epoch): orders one activity's requests. */
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  status: number;
  response: string;
}

export interface ActivityTag {
  workflowId: string;
  activityId: string;
  activityType: string;
}

export const activityKey = (workflowId: string, activityId: string) => `${workflowId}#${activityId}`;

export function formatTag(tag: ActivityTag): string {
  return [tag.workflowId, tag.activityId, tag.activityType].map(encodeURIComponent).join(' ');
}

export function parseTag(value: string): ActivityTag {
  const [workflowId, activityId, activityType] = value.split(' ').map(decodeURIComponent) as [string, string, string];
  return { workflowId, activityId, activityType };
}

/**
 * Wraps the global fetch (which @hubspot/api-client and idsync's SCIM and Highspot clients call) so
 * that a request sent from inside an activity carries that activity's tag. Outside an activity
 * (start-up, the watcher's LDAP side never fetches) requests go out untagged.
 */
export function tagActivityRequests(): void {
  const original = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    let info: Context['info'] | undefined;
    try {
      info = Context.current().info;
    } catch {
      return original(input, init);
    }
    const tag = formatTag({ workflowId: info.workflowExecution?.workflowId ?? '', activityId: info.activityId, activityType: info.activityType });
    const given = init?.headers;
    // A plain header object (what idsync's clients and the HubSpot SDK pass) is extended as it is:
    // a Headers object per request would be the bench's own cost, counted as idsync's.
    const headers =
      given && !(given instanceof Headers) && !Array.isArray(given)
        ? { ...given, [ACTIVITY_TAG_HEADER]: tag }
        : (() => {
            const h = new Headers(given ?? (input instanceof Request ? input.headers : undefined));
            h.set(ACTIVITY_TAG_HEADER, tag);
            return h;
          })();
    return original(input, { ...init, headers });
  };
}

/** Exchanges by activity key, each activity's in the order the proxy received them. */
export function byActivity(recording: RecordedExchange[]): Map<string, RecordedExchange[]> {
  const out = new Map<string, RecordedExchange[]>();
  for (const exchange of [...recording].sort((a, b) => a.at - b.at)) {
    const tag = parseTag(exchange.tag);
    const key = activityKey(tag.workflowId, tag.activityId);
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push(exchange);
  }
  return out;
}

const isIdKey = (key: string) => key === 'id' || /Id$/.test(key);

/** Pairs of (recorded id, replayed id) found at the same place in two JSON answers. */
export function differingIds(recorded: unknown, replayed: unknown, found: Map<string, string> = new Map()): Map<string, string> {
  if (Array.isArray(recorded) && Array.isArray(replayed)) {
    recorded.forEach((item, i) => differingIds(item, replayed[i], found));
  } else if (recorded && replayed && typeof recorded === 'object' && typeof replayed === 'object') {
    for (const [key, value] of Object.entries(recorded)) {
      const other = (replayed as Record<string, unknown>)[key];
      if (isIdKey(key) && (typeof value === 'string' || typeof value === 'number') && (typeof other === 'string' || typeof other === 'number')) {
        if (String(value) !== String(other)) found.set(String(value), String(other));
      } else differingIds(value, other, found);
    }
  }
  return found;
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The ids one replay has learned: per person (workflow) first, then UUID-like ids learned from anyone. */
export class IdMap {
  private readonly perWorkflow = new Map<string, Map<string, string>>();
  private readonly shared = new Map<string, string>();

  learn(workflowId: string, ids: Map<string, string>): void {
    let own = this.perWorkflow.get(workflowId);
    if (!own) this.perWorkflow.set(workflowId, (own = new Map()));
    for (const [from, to] of ids) {
      own.set(from, to);
      if (from.length >= 16) this.shared.set(from, to);
    }
  }

  lookup(workflowId: string, value: string): string | undefined {
    return this.perWorkflow.get(workflowId)?.get(value) ?? this.shared.get(value);
  }

  /** Path segments (and query values) equal to a known id are replaced. */
  mapPath(workflowId: string, path: string): string {
    return path.replace(/[^/?&=]+/g, (segment) => {
      const decoded = safeDecode(segment);
      const mapped = this.lookup(workflowId, decoded);
      return mapped === undefined ? segment : encodeURIComponent(mapped);
    });
  }

  /** JSON string and number values equal to a known id are replaced (numbers stay numbers). */
  mapBody(workflowId: string, body: string | undefined): string | undefined {
    const parsed = parseJson(body);
    if (parsed === undefined) return body;
    const walk = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(walk);
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
      if (typeof value === 'string' || typeof value === 'number') {
        const mapped = this.lookup(workflowId, String(value));
        if (mapped !== undefined) return typeof value === 'number' && /^\d+$/.test(mapped) ? Number(mapped) : mapped;
      }
      return value;
    };
    return JSON.stringify(walk(parsed));
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export interface ReplayOutcome {
  requests: number;
  /** Replayed answers whose status equals the recorded one. */
  sameStatus: number;
}

/**
 * Sends one activity's recorded requests again, one after another, to `origins[target]`, and learns
 * the ids the answers carry. Never throws on an HTTP status: a differing answer is counted.
 */
export async function replayExchanges(exchanges: RecordedExchange[], origins: Record<string, string>, ids: IdMap, workflowId: string): Promise<ReplayOutcome> {
  let sameStatus = 0;
  for (const exchange of exchanges) {
    const res = await fetch(`${origins[exchange.target]}${ids.mapPath(workflowId, exchange.path)}`, {
      method: exchange.method,
      headers: exchange.headers,
      body: ids.mapBody(workflowId, exchange.body) ?? null,
    });
    const text = await res.text();
    if (res.status === exchange.status) sameStatus += 1;
    const learned = differingIds(parseJson(exchange.response), parseJson(text));
    if (learned.size > 0) ids.learn(workflowId, learned);
  }
  return { requests: exchanges.length, sameStatus };
}
