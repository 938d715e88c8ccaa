import type { Client } from 'ldapts';
import type { LdapDirectoryConfig } from '../config';
import type { AttributeBag } from '../mapping';
import { cursorAt, cursorValueAt, encodeCursor, maxChangeValue } from './cursor';
import { entryToBag, normalizeDn } from './entry';
import type { ChangeAttribute } from './presets';

export async function readRootDse(client: Client, attributes: string[]): Promise<AttributeBag> {
  const root = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes });
  return root.searchEntries[0] ? entryToBag(root.searchEntries[0]) : new Map<string, string[]>();
}

/**
 * The directory's own "everything up to here" mark, as a cursor: AD's highestCommittedUSN (with the
 * DC it belongs to), OpenLDAP's contextCSN of the naming context holding the people, else the
 * server's clock (or ours) minus the look-back window.
 */
export async function readHighWaterMark(client: Client, attribute: ChangeAttribute, config: LdapDirectoryConfig): Promise<string> {
  const rootBag = await readRootDse(client, ['namingContexts', 'highestCommittedUSN', 'currentTime', 'dsServiceName']);
  const at = (value: string) => encodeCursor(cursorAt(attribute, value, config.changeLookback));
  if (attribute === 'uSNChanged') {
    return encodeCursor({ ...cursorAt(attribute, rootBag.get('highestcommittedusn')?.[0] ?? '0', config.changeLookback), server: rootBag.get('dsservicename')?.[0] });
  }
  if (attribute === 'entryCSN') {
    const context = (rootBag.get('namingcontexts') ?? [])
      .filter((nc) => normalizeDn(config.people.baseDn).endsWith(normalizeDn(nc)))
      .sort((a, b) => b.length - a.length)[0];
    if (context) {
      const res = await client.search(context, { scope: 'base', filter: '(objectClass=*)', attributes: ['contextCSN'] });
      const csns = res.searchEntries[0] ? (entryToBag(res.searchEntries[0]).get('contextcsn') ?? []) : [];
      if (csns.length > 0) return at(maxChangeValue(attribute, csns, csns[0]!));
    }
  }
  const serverNow = rootBag.get('currenttime')?.[0];
  // No server high-water mark: "now" minus the look-back, by whichever clock is available.
  return encodeCursor({ attribute, value: serverNow ?? cursorValueAt(attribute, Date.now() - config.changeLookback), settled: false });
}
