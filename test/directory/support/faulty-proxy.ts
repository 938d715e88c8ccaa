/**
 * A TCP proxy in front of the real slapd that can break the server-to-client direction on purpose:
 * cut both sockets after N bytes (a dropped connection), or stop forwarding after N bytes while
 * keeping the sockets open (a directory that hangs), or rewrite what the server sends (a directory
 * that sends garbage). It counts connections so tests can check cleanup.
 */
import { connect, createServer, type Socket } from 'node:net';
import { pollUntil } from '../../support/poll';

export interface FaultyProxy {
  url: string;
  connectionsOpened(): number;
  /** Resolves once every connection a client opened through the proxy has closed. */
  waitForClosedConnections(): Promise<void>;
  close(): Promise<void>;
}

export interface ProxyFaults {
  cutAfterServerBytes?: number;
  stallAfterServerBytes?: number;
  /** Applied to every chunk the server sends before it is forwarded (same length: only bytes change). */
  rewriteServerChunk?: (chunk: Buffer) => Buffer;
  /** Sees every chunk the client sends, before it is forwarded. */
  watchClientChunk?: (chunk: Buffer) => void;
}

export async function startFaultyProxy(upstreamUrl: string, faults: ProxyFaults): Promise<FaultyProxy> {
  const upstream = new URL(upstreamUrl);
  const open = new Set<Socket>();
  let opened = 0;
  const server = createServer((client) => {
    opened++;
    open.add(client);
    const backend = connect({ host: upstream.hostname, port: Number(upstream.port) });
    let forwarded = 0;
    const end = () => {
      client.destroy();
      backend.destroy();
    };
    client.on('close', () => {
      open.delete(client);
      backend.destroy();
    });
    client.on('error', end);
    backend.on('error', end);
    backend.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      faults.watchClientChunk?.(chunk);
      backend.write(chunk);
    });
    backend.on('data', (received: Buffer) => {
      const chunk = faults.rewriteServerChunk ? faults.rewriteServerChunk(received) : received;
      const limit = faults.cutAfterServerBytes ?? faults.stallAfterServerBytes;
      if (limit === undefined) {
        client.write(chunk);
        return;
      }
      const allowed = Math.max(0, Math.min(chunk.length, limit - forwarded));
      if (allowed > 0) client.write(chunk.subarray(0, allowed));
      forwarded += allowed;
      if (forwarded >= limit && faults.cutAfterServerBytes !== undefined) end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ldap://127.0.0.1:${port}`,
    connectionsOpened: () => opened,
    waitForClosedConnections: () => pollUntil('proxy connections to close', async () => (open.size === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 }).then(() => undefined),
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
