/**
 * Throwaway certificates for TLS tests, made with the openssl CLI: a CA, a slapd certificate signed by it,
 * and an unrelated CA that must not be trusted for that certificate.
 *
 * The server certificate names ONLY the IP address 127.0.0.1 (no DNS:localhost, and a subject CN that is no
 * host name): a client that checks any name other than the address it dialled is refused, which is what the
 * hostname tests rely on.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface TestCertificates {
  /** The CA that signed the server certificate. */
  caFile: string;
  /** A CA that signed nothing this server presents. */
  otherCaFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** The only name in the server certificate. */
  serverAddress: '127.0.0.1';
}

// Our own config file keeps the result independent of the machine's openssl.cnf defaults.
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

// P-256 keys: fast to generate, and accepted by both Node and Debian's GnuTLS-built slapd.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-noenc'];

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr || e.message).trim()}`);
  }
}

async function selfSignedCa(dir: string, name: string, config: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await openssl(['req', '-x509', '-new', ...NEW_KEY, '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=idsync test ${name}`, '-config', config, '-extensions', 'ca_ext']);
  return { certFile, keyFile };
}

/** Writes the certificates and keys into dir (created if missing); keys are readable by this user only. */
export async function createTestCertificates(dir: string): Promise<TestCertificates> {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'openssl.cnf');
  writeFileSync(config, OPENSSL_CONFIG);
  const ca = await selfSignedCa(dir, 'ca', config);
  const other = await selfSignedCa(dir, 'other-ca', config);
  const serverKeyFile = join(dir, 'server.key');
  const request = join(dir, 'server.csr');
  const serverCertFile = join(dir, 'server.crt');
  await openssl(['req', '-new', ...NEW_KEY, '-keyout', serverKeyFile, '-out', request, '-subj', '/CN=idsync test slapd', '-config', config]);
  await openssl([
    'x509', '-req', '-in', request, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-days', '2', '-extfile', config, '-extensions', 'server_ext', '-out', serverCertFile,
  ]);
  return { caFile: ca.certFile, otherCaFile: other.certFile, serverCertFile, serverKeyFile, serverAddress: '127.0.0.1' };
}
