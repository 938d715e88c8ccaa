/**
 * Everything idsync assumes about OTDS's REST API, in one place. Verified from OpenText's own
 * pyxecm client (paths, the credentials body, the OTDSTicket cookie, `limit`/`where_partition_name`,
 * `nextPageCookie` in list responses, user/group JSON with `values: [{name, values}]`).
 * ASSUMED, not verified against a live OTDS: the query parameter that carries the page cookie
 * (PAGE_COOKIE_PARAM), the shape of /groups/{id}/members, and that "values" carries
 * ds-pwp-account-disabled for disabled users. Adjust here if a real server disagrees.
 */
export const REST_PREFIX = '/otdsws/rest';
export const CREDENTIALS_PATH = `${REST_PREFIX}/authentication/credentials`;
export const USERS_PATH = `${REST_PREFIX}/users`;
export const GROUPS_PATH = `${REST_PREFIX}/groups`;
export const TICKET_COOKIE = 'OTDSTicket';
export const PAGE_COOKIE_PARAM = 'page_cookie';
export const LIMIT_PARAM = 'limit';
export const PARTITION_PARAM = 'where_partition_name';

export interface OtdsValue {
  name: string;
  values: string[] | null;
}

export interface OtdsUser {
  id: string;
  name: string;
  userPartitionID: string;
  uuid: string;
  location?: string;
  values?: OtdsValue[] | null;
}

export interface OtdsGroup {
  id: string;
  name: string;
  uuid?: string;
  userPartitionID?: string;
  location?: string;
}

export interface OtdsPage {
  nextPageCookie?: string | null;
  requestedPageSize?: number;
  actualPageSize?: number;
}

export interface OtdsUserList extends OtdsPage {
  users: OtdsUser[];
}
export interface OtdsGroupList extends OtdsPage {
  groups: OtdsGroup[];
}
/** /groups/{id}/members: member users and member groups (ASSUMED shape). */
export interface OtdsMemberList extends OtdsPage {
  users?: OtdsUser[];
  groups?: OtdsGroup[];
}

export const userMemberOfPath = (id: string) => `${USERS_PATH}/${encodeURIComponent(id)}/memberof`;
export const groupMemberOfPath = (id: string) => `${GROUPS_PATH}/${encodeURIComponent(id)}/memberof`;
export const groupMembersPath = (id: string) => `${GROUPS_PATH}/${encodeURIComponent(id)}/members`;
export const userPath = (id: string) => `${USERS_PATH}/${encodeURIComponent(id)}`;
