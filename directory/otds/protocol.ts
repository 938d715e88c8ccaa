/**
 * Everything idsync knows about OTDS's REST API, in one place, learned from OpenText's own Python
 * client pyxecm 3.7.0 (`pyxecm/otds.py`, class OTDS; the oracle test drives the stand-in with it):
 * - authentication: POST /otdsws/rest/authentication/credentials {userName, password} -> {ticket},
 *   sent back as the `OTDSTicket` cookie (OTDS.authenticate, grant "password"); or OAuth2 client
 *   credentials, a form POST of grant_type/client_id/client_secret to /otdsws/oauth2/token ->
 *   {access_token}, sent as `Authorization: Bearer` (OTDS.authenticate, grant "client_credentials").
 * - an expired ticket is answered 400 {"status":1034,"error":"Expired OTDS SSO ticket","errorDetails":null}
 *   (OTDS.do_request, which re-authenticates on that or on 401 and retries once); error bodies are
 *   {status, error, errorDetails}.
 * - lists (OTDS.get_users / get_groups): `page_size`, `next_page_cookie` = the previous answer's
 *   opaque `nextPageCookie` (base64, e.g. "JIHw2CLHSoeTOmo7Ng/bPw=="), filters `where_partition_name`,
 *   `where_state` (enabled|disabled, users only), `where_location`, `where_filter` (a plain string
 *   filter), `attrsAsKeys=true` for an `attributes: {name: [values]}` map instead of
 *   `values: [{name, values}]`. pyxecm 3.7.0 notes that OTDS has no `limit` parameter (silently
 *   ignored), so idsync never sends one. Answers carry `requestedPageSize`, `actualPageSize`.
 * - users carry `accountDisabled` / `accountLockedOut` (['true'|'false']), `oTMemberOf` (DNs of
 *   their groups, `oTGroup=<uuid>,...`), `modifyTimestamp`, `entryUUID`, `oTExternalID1..4`, and
 *   the JSON fields id ("name@partition"), name, userPartitionID, uuid, location.
 * - one user: GET /users/{name}@{partition} (OTDS.get_user).
 * Nothing in pyxecm filters on modifyTimestamp, so there is no cheaper incremental read.
 * ASSUMED (pyxecm only POSTs to it): the GET shape of /users/{id}/memberof and /groups/{id}/memberof
 * ({groups: [...]}, paged like the lists), used only for entries without oTMemberOf.
 */
export const OTDSWS_PREFIX = '/otdsws';
export const REST_PREFIX = `${OTDSWS_PREFIX}/rest`;
export const CREDENTIALS_PATH = `${REST_PREFIX}/authentication/credentials`;
export const OAUTH2_TOKEN_PATH = `${OTDSWS_PREFIX}/oauth2/token`;
export const USERS_PATH = `${REST_PREFIX}/users`;
export const GROUPS_PATH = `${REST_PREFIX}/groups`;
export const TICKET_COOKIE = 'OTDSTicket';

/** Query parameters of the list calls, as pyxecm sends them. */
export const PARAM = {
  pageSize: 'page_size',
  nextPageCookie: 'next_page_cookie',
  partition: 'where_partition_name',
  state: 'where_state',
  attributesAsKeys: 'attrsAsKeys',
} as const;

/** The `status` OTDS puts in the error body of an expired ticket (HTTP 400). */
export const EXPIRED_TICKET_STATUS = 1034;
export const EXPIRED_TICKET_ERROR = 'Expired OTDS SSO ticket';

export interface OtdsErrorBody {
  status?: number;
  error?: string;
  errorDetails?: unknown;
}

export interface OtdsValue {
  name: string;
  values: string[] | null;
}

/** A user or group as the lists return it: attributes either as `attributes` (attrsAsKeys) or as `values`. */
export interface OtdsEntry {
  id: string;
  name: string;
  userPartitionID?: string;
  uuid: string;
  location?: string;
  attributes?: Record<string, string[] | null> | null;
  values?: OtdsValue[] | null;
}
export type OtdsUser = OtdsEntry;
export type OtdsGroup = OtdsEntry;

export interface OtdsPage {
  nextPageCookie?: string | null;
  requestedPageSize?: number;
  actualPageSize?: number;
}
export interface OtdsUserList extends OtdsPage {
  users?: OtdsUser[];
}
export interface OtdsGroupList extends OtdsPage {
  groups?: OtdsGroup[];
}

export interface OtdsTokenAnswer {
  access_token?: string;
  expires_in?: number;
}

/** Every attribute of an entry, names lower-cased, whichever of the two shapes the server used. */
export function entryAttributes(entry: OtdsEntry): Map<string, string[]> {
  const bag = new Map<string, string[]>();
  for (const [name, values] of Object.entries(entry.attributes ?? {})) if (values && values.length > 0) bag.set(name.toLowerCase(), values.map(String));
  for (const v of entry.values ?? []) if (v.values && v.values.length > 0) bag.set(v.name.toLowerCase(), v.values.map(String));
  return bag;
}

/** The group uuid in an `oTMemberOf` DN (`oTGroup=<uuid>,...`), or null for anything else. */
export function groupUuidOfDn(dn: string): string | null {
  const match = /^\s*oTGroup\s*=\s*([^,]+)/i.exec(dn);
  return match ? match[1]!.trim().toLowerCase() : null;
}

export const userPath = (id: string) => `${USERS_PATH}/${encodeURIComponent(id)}`;
export const userMemberOfPath = (id: string) => `${userPath(id)}/memberof`;
export const groupMemberOfPath = (id: string) => `${GROUPS_PATH}/${encodeURIComponent(id)}/memberof`;
