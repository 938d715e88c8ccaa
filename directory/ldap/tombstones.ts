import { AndFilter, Control, EqualityFilter, GreaterThanEqualsFilter, ResultCodeError, type Client } from 'ldapts';
import { entryToBag } from './entry';
import { readRootDse } from './high-water';
import { pagedSearch } from './lookups';

/** Active Directory's "Show Deleted" control: searches then also return tombstones. */
export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';

export interface Tombstones {
  /** Anchors of user objects deleted at or after the cursor. */
  anchors: string[];
  /** Their uSNChanged values, so the cursor moves past them. */
  changeValues: string[];
}

/**
 * People deleted since a USN, from Active Directory's tombstones: a deleted object keeps its
 * objectGUID, isDeleted=TRUE and a new uSNChanged in CN=Deleted Objects, so a deletion is proven
 * by the poll that follows it instead of waiting for the next presence scan. A tombstone loses
 * objectCategory, so the people filter cannot find it; objectClass=user stays (inetOrgPerson is a
 * user in AD). A server that refuses (no right to read deleted objects, not AD) yields nothing:
 * the presence scan still proves the deletion later. Transport failures are thrown as usual.
 */
export async function tombstonesSince(
  client: Client,
  opts: { anchorAttribute: string; binaryAttributes: string[]; since: string; pageSize: number },
): Promise<Tombstones> {
  const found: Tombstones = { anchors: [], changeValues: [] };
  try {
    const domain = (await readRootDse(client, ['defaultNamingContext'])).get('defaultnamingcontext')?.[0];
    if (!domain) return found;
    const res = await pagedSearch(
      client,
      domain,
      {
        scope: 'sub',
        filter: new AndFilter({
          filters: [
            new EqualityFilter({ attribute: 'isDeleted', value: 'TRUE' }),
            new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
            new GreaterThanEqualsFilter({ attribute: 'uSNChanged', value: opts.since }),
          ],
        }),
        attributes: [opts.anchorAttribute, 'uSNChanged'],
        explicitBufferAttributes: opts.binaryAttributes,
        paged: { pageSize: opts.pageSize },
      },
      [new Control(SHOW_DELETED_OID, { critical: true })],
    );
    for (const entry of res.searchEntries) {
      const bag = entryToBag(entry, opts.binaryAttributes);
      const anchor = bag.get(opts.anchorAttribute.toLowerCase())?.[0];
      if (anchor) found.anchors.push(anchor);
      found.changeValues.push(...(bag.get('usnchanged') ?? []));
    }
  } catch (err) {
    if (!(err instanceof ResultCodeError)) throw err;
  }
  return found;
}
