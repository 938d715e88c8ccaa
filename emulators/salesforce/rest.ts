import { ASSUMED, invalidQueryLocator } from './assumptions';
import { badRequest, notFound, SalesforceApiError } from './errors';
import { OBJECTS, describeObject, objectDef } from './schema';
import { parseSoql, select, shapeRow, type Row } from './soql';
import type { SalesforceStore } from './store';

/**
 * `/services/data/vNN.N/...` once the caller is authenticated: sObject CRUD, describe, SOQL with
 * locator paging, limits and sObject Collections. Returns status + JSON body (undefined = 204).
 */
export interface RestRequest {
  method: string;
  version: string;
  /** Path after `/services/data/vNN.N`, e.g. `/sobjects/User/005...`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface RestReply {
  status: number;
  body?: unknown;
}

interface Cursor {
  records: Row[];
  totalSize: number;
}

const MAX_COLLECTION = 200;
const MAX_OPEN_CURSORS = 50;

export class RestApi {
  private readonly cursors = new Map<string, Cursor>();
  private cursorSerial = 0;

  constructor(
    private readonly store: SalesforceStore,
    private readonly options: { queryBatchSize: number; apiUsage: () => { used: number; limit: number } },
  ) {}

  handle(req: RestRequest): RestReply {
    const segments = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const [head, second, third] = segments;
    if (head === 'sobjects' && !second && req.method === 'GET') return { status: 200, body: describeGlobal() };
    if (head === 'sobjects' && second) return this.sobject(req, second, third, segments.length);
    if ((head === 'query' || head === 'queryAll') && segments.length === 1 && req.method === 'GET') return this.query(req);
    if (head === 'query' && segments.length === 2 && req.method === 'GET') return this.nextBatch(req.version, second, req);
    if (head === 'limits' && req.method === 'GET') {
      const { used, limit } = this.options.apiUsage();
      return { status: 200, body: { DailyApiRequests: { Max: limit, Remaining: Math.max(0, limit - used) } } };
    }
    if (head === 'composite' && second === 'sobjects' && segments.length === 2) return this.collection(req);
    throw notFound();
  }

  private sobject(req: RestRequest, typeName: string, idOrAction: string | undefined, depth: number): RestReply {
    const object = this.store.requireObject(typeName);
    if (depth > 3) throw notFound();
    if (idOrAction === 'describe' && req.method === 'GET') return { status: 200, body: describeObject(object, req.version) };
    if (idOrAction === undefined) {
      if (req.method === 'POST') {
        const { id, existing } = this.store.create(object.name, requireRecord(req.body));
        return { status: existing ? ASSUMED.duplicateGroupMemberStatus : 201, body: { id, success: true, errors: [] } };
      }
      if (req.method === 'GET') return { status: 200, body: { objectDescribe: { name: object.name, keyPrefix: object.keyPrefix }, recentItems: [] } };
      throw methodNotAllowed(req.method, 'GET,HEAD,POST');
    }
    switch (req.method) {
      case 'GET': {
        const row = this.store.get(object.name, idOrAction);
        const requested = req.query.get('fields');
        const fields = requested ? requested.split(',').map((f) => f.trim()) : object.fields.map((f) => f.name);
        const query = parseSoql(`SELECT ${fields.join(', ')} FROM ${object.name}`);
        return { status: 200, body: shapeRow(this.store, object, row, query.fields, req.version) };
      }
      case 'PATCH':
        this.store.update(object.name, idOrAction, requireRecord(req.body));
        return { status: 204 };
      case 'DELETE':
        this.store.delete(object.name, idOrAction);
        return { status: 204 };
      default:
        throw methodNotAllowed(req.method, 'HEAD,GET,PATCH,DELETE');
    }
  }

  private query(req: RestRequest): RestReply {
    const soql = req.query.get('q');
    if (!soql) throw badRequest('MALFORMED_QUERY', 'missing query parameter q');
    const parsed = parseSoql(soql);
    const rows = select(this.store, parsed);
    if (parsed.count) return { status: 200, body: { totalSize: rows.length, done: true, records: [] } };
    const records = rows.map((r) => shapeRow(this.store, parsed.object, r, parsed.fields, req.version));
    const serial = (this.cursorSerial += 1);
    const base = `01g5e${serial.toString(36).toUpperCase().padStart(10, '0')}`;
    this.cursors.set(base, { records, totalSize: records.length });
    // Salesforce keeps a bounded number of open cursors per user; the oldest ones stop working.
    if (this.cursors.size > MAX_OPEN_CURSORS) this.cursors.delete(this.cursors.keys().next().value!);
    return { status: 200, body: this.batch(req.version, base, 0, this.batchSize(req)) };
  }

  private nextBatch(version: string, locator: string, req: RestRequest): RestReply {
    const [base, position] = locator.split('-');
    const cursor = this.cursors.get(base);
    const start = Number(position);
    if (!cursor || !Number.isInteger(start) || start <= 0 || start >= cursor.records.length) {
      throw invalidQueryLocator();
    }
    // Salesforce applies Sforce-Query-Options to each queryMore call as well.
    return { status: 200, body: this.batch(version, base, start, this.batchSize(req)) };
  }

  private batch(version: string, base: string, start: number, size: number): Record<string, unknown> {
    const cursor = this.cursors.get(base)!;
    const end = Math.min(start + size, cursor.records.length);
    const done = end >= cursor.records.length;
    if (done) this.cursors.delete(base);
    return {
      totalSize: cursor.totalSize,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${base}-${end}` }),
      records: cursor.records.slice(start, end),
    };
  }

  /** `Sforce-Query-Options: batchSize=N` (200..2000) can only shrink the emulator's configured batch. */
  private batchSize(req: RestRequest): number {
    const header = String(req.headers['sforce-query-options'] ?? '');
    const asked = /batchSize=(\d+)/i.exec(header);
    const clamped = asked ? Math.min(2000, Math.max(200, Number(asked[1]))) : 2000;
    return Math.min(clamped, this.options.queryBatchSize);
  }

  /** sObject Collections: ordered per-record results (`statusCode` errors), optional all-or-none rollback. */
  private collection(req: RestRequest): RestReply {
    if (req.method === 'DELETE') {
      const ids = (req.query.get('ids') ?? '').split(',').filter(Boolean);
      return this.applyCollection(ids, req.query.get('allOrNone') === 'true', (id) => {
        const found = this.store.byId(id);
        if (!found) throw badRequest('ENTITY_IS_DELETED', 'entity is deleted');
        this.store.delete(found.type, id);
        return id;
      });
    }
    const body = requireRecord(req.body) as { allOrNone?: boolean; records?: Row[] };
    if (!Array.isArray(body.records)) throw badRequest('JSON_PARSER_ERROR', 'records is required');
    if (req.method === 'POST') {
      return this.applyCollection(body.records, body.allOrNone === true, (record) => {
        const { attributes, ...fields } = record as Row & { attributes?: { type?: string } };
        return this.store.create(collectionType(attributes), fields).id;
      });
    }
    if (req.method === 'PATCH') {
      return this.applyCollection(body.records, body.allOrNone === true, (record) => {
        const { attributes, id, Id, ...fields } = record as Row & { attributes?: { type?: string } };
        const recordId = String(id ?? Id ?? '');
        this.store.update(collectionType(attributes), recordId, fields);
        return recordId;
      });
    }
    throw methodNotAllowed(req.method, 'POST,PATCH,DELETE');
  }

  private applyCollection<T>(items: T[], allOrNone: boolean, apply: (item: T) => string): RestReply {
    if (items.length > MAX_COLLECTION) throw badRequest('EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`);
    const restore = this.store.checkpoint();
    const results = items.map((item) => {
      try {
        return { id: apply(item), success: true, errors: [] as unknown[] };
      } catch (err) {
        if (!(err instanceof SalesforceApiError)) throw err;
        return { success: false, errors: [{ statusCode: err.errorCode, message: err.message, fields: err.fields }] };
      }
    });
    if (allOrNone && results.some((r) => !r.success)) {
      restore();
      const rolledBack = { statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid and the request was using AllOrNone header', fields: [] };
      return { status: 200, body: results.map((r) => (r.success ? { success: false, errors: [rolledBack] } : { success: false, errors: r.errors })) };
    }
    return { status: 200, body: results };
  }
}

function describeGlobal(): Record<string, unknown> {
  return {
    encoding: 'UTF-8',
    maxBatchSize: MAX_COLLECTION,
    sobjects: Object.values(OBJECTS).map((o) => ({ name: o.name, label: o.name, keyPrefix: o.keyPrefix, createable: o.createable, updateable: o.updateable, deletable: o.deletable, queryable: true })),
  };
}

function collectionType(attributes: { type?: string } | undefined): string {
  const type = attributes?.type;
  if (!type || !objectDef(type)) throw badRequest('INVALID_TYPE', 'sObject type is missing or not supported: every record needs attributes.type');
  return type;
}

function requireRecord(body: unknown): Row {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('JSON_PARSER_ERROR', 'The request body must be a JSON object');
  return body as Row;
}

function methodNotAllowed(method: string, allowed: string): SalesforceApiError {
  return new SalesforceApiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are ${allowed}`);
}
