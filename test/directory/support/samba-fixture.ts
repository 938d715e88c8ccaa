/**
 * A real Active Directory domain controller (Samba) for one test file, started by scripts/samba-dc.ts
 * in a network namespace of its own, with OU=Staff and OU=Groups as in config/idsync.example.yaml and
 * the writes the tests need (as an administrator: AD tombstones and restores need one).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Attribute, Change, Client, Control, EqualityFilter, type Entry } from 'ldapts';
import { parse } from 'yaml';
import { directoryConfigSchema, type LdapDirectoryConfig } from '../../../directory/config';
import { guidToBytes, guidToString } from '../../../directory/ldap/entry';
import { PROJECT_ROOT } from '../../../scripts/local-services';
import { sambaUnavailableReason, startSambaDc, type SambaDc } from '../../../scripts/samba-dc';
import { testEnv } from '../../support/env';

/** AD's "Show Deleted" control: tombstones become visible to searches and modifications. */
export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';
const PASSWORD_ENV = 'IDSYNC_TEST_SAMBA_PASSWORD';
/** userAccountControl: a normal account that needs no password (the fixture sets none), enabled and disabled. */
export const UAC_ENABLED = '544';
export const UAC_DISABLED = '546';

/** Why this machine cannot run the Samba tests (printed once as the file's skip reason), or null. */
export function sambaSkipReason(): string | null {
  return sambaUnavailableReason();
}

export interface SambaFixture {
  dc: SambaDc;
  client: Client;
  peopleDn: string;
  groupsDn: string;
  personDn(cn: string): string;
  groupDn(cn: string): string;
  addPerson(cn: string, attrs?: Record<string, string | string[]>): Promise<string>;
  addGroup(cn: string, memberDns: string[]): Promise<string>;
  replace(dn: string, attribute: string, values: string[]): Promise<void>;
  addValues(dn: string, attribute: string, values: string[]): Promise<void>;
  deleteValues(dn: string, attribute: string, values: string[]): Promise<void>;
  /** A cn change (modify DN in place). */
  rename(dn: string, newCn: string): Promise<string>;
  remove(dn: string): Promise<void>;
  /** Brings a tombstone back under `newDn` (AD's restore: remove isDeleted, set distinguishedName); the GUID stays. */
  restore(guid: string, newDn: string): Promise<void>;
  /** Attributes of one live entry, read as an administrator. */
  read(dn: string, attributes: string[]): Promise<Entry>;
  guidOf(dn: string): Promise<string>;
  usnChanged(dn: string): Promise<bigint>;
  /** The directory section of config/idsync.example.yaml, pointed at this DC. */
  config(overrides?: Partial<LdapDirectoryConfig>): LdapDirectoryConfig;
  close(): Promise<void>;
}

/** The example configuration's directory section with only where-and-who changed: everything else is what it documents. */
function exampleDirectoryConfig(dc: SambaDc, overrides: Partial<LdapDirectoryConfig>): LdapDirectoryConfig {
  const example = parse(readFileSync(join(PROJECT_ROOT, 'config', 'idsync.example.yaml'), 'utf8')) as { directory: Record<string, unknown> };
  const directory = example.directory as { people: { baseDn: string }; groups: { baseDn: string }; tls?: unknown };
  const here = (dn: string) => dn.replace(/DC=example,DC=com$/i, dc.baseDn);
  return directoryConfigSchema.parse({
    ...directory,
    url: dc.url,
    bindDn: dc.bindDn,
    bindPasswordEnv: PASSWORD_ENV,
    tls: undefined,
    people: { ...directory.people, baseDn: here(directory.people.baseDn) },
    groups: { ...directory.groups, baseDn: here(directory.groups.baseDn) },
    ...overrides,
  }) as LdapDirectoryConfig;
}

export async function startSambaFixture(label: string): Promise<SambaFixture> {
  const dc = await startSambaDc({ workDir: testEnv.scratchDir(`samba-${label}`) });
  process.env[PASSWORD_ENV] = dc.bindPassword;
  const client = new Client({ url: dc.url });
  await client.bind(dc.bindDn, dc.bindPassword);
  const probe = exampleDirectoryConfig(dc, {});
  const peopleDn = probe.people.baseDn;
  const groupsDn = probe.groups!.baseDn;
  await client.add(peopleDn, { objectClass: 'organizationalUnit' });
  await client.add(groupsDn, { objectClass: 'organizationalUnit' });

  const modify = (dn: string, operation: 'replace' | 'add' | 'delete', type: string, values: string[]) =>
    client.modify(dn, new Change({ operation, modification: new Attribute({ type, values }) }));
  const read = async (dn: string, attributes: string[]) => {
    const res = await client.search(dn, { scope: 'base', attributes, explicitBufferAttributes: ['objectGUID'] });
    if (!res.searchEntries[0]) throw new Error(`${dn} not found`);
    return res.searchEntries[0];
  };

  return {
    dc,
    client,
    peopleDn,
    groupsDn,
    personDn: (cn) => `CN=${cn},${peopleDn}`,
    groupDn: (cn) => `CN=${cn},${groupsDn}`,
    async addPerson(cn, attrs = {}) {
      const dn = `CN=${cn},${peopleDn}`;
      await client.add(dn, { objectClass: 'user', userAccountControl: UAC_ENABLED, ...attrs });
      return dn;
    },
    async addGroup(cn, memberDns) {
      const dn = `CN=${cn},${groupsDn}`;
      await client.add(dn, { objectClass: 'group', ...(memberDns.length > 0 ? { member: memberDns } : {}) });
      return dn;
    },
    replace: (dn, attribute, values) => modify(dn, 'replace', attribute, values),
    addValues: (dn, attribute, values) => modify(dn, 'add', attribute, values),
    deleteValues: (dn, attribute, values) => modify(dn, 'delete', attribute, values),
    async rename(dn, newCn) {
      await client.modifyDN(dn, `CN=${newCn}`);
      return `CN=${newCn},${dn.slice(dn.indexOf(',') + 1)}`;
    },
    remove: (dn) => client.del(dn),
    async restore(guid, newDn) {
      const showDeleted = new Control(SHOW_DELETED_OID, { critical: true });
      const res = await client.search(dc.baseDn, { filter: new EqualityFilter({ attribute: 'objectGUID', value: guidToBytes(guid)! }), attributes: ['isDeleted'] }, showDeleted);
      const tombstone = res.searchEntries[0];
      if (!tombstone) throw new Error(`no tombstone for ${guid}`);
      await client.modify(
        tombstone.dn,
        [
          new Change({ operation: 'delete', modification: new Attribute({ type: 'isDeleted', values: [] }) }),
          new Change({ operation: 'replace', modification: new Attribute({ type: 'distinguishedName', values: [newDn] }) }),
        ],
        showDeleted,
      );
    },
    read,
    async guidOf(dn) {
      return guidToString((await read(dn, ['objectGUID'])).objectGUID as Buffer);
    },
    async usnChanged(dn) {
      return BigInt(String((await read(dn, ['uSNChanged'])).uSNChanged));
    },
    config: (overrides = {}) => exampleDirectoryConfig(dc, overrides),
    async close() {
      await client.unbind().catch(() => undefined);
      await dc.stop();
    },
  };
}
