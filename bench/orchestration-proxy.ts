/**
 * The recording proxy of bench/orchestration.ts, in a process of its own (its CPU is neither
 * idsync's nor the baseline's). One listening port per emulator; every request is forwarded to that
 * emulator unchanged. A request carrying the activity tag header (set by the idsync worker's fetch,
 * bench/orchestration-worker.ts) is recorded with its response, keyed by that tag, so the baseline
 * can replay exactly what each idsync activity sent. Both runs go through the proxy, so both pay its hop.
 *   node --import tsx bench/orchestration-proxy.ts <target>=<upstream origin> ...
 * Prints "PROXY_READY {target: port, ...}"; the admin port (its own) serves:
 *   PUT  /upstreams   {target: origin}   point a target's port at a new emulator (the baseline's fresh one)
 *   POST /recording   the recorded exchanges so far, and start a new recording
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { ACTIVITY_TAG_HEADER, type RecordedExchange } from './orchestration-replay';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forwardHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

async function main(): Promise<void> {
  const upstreams = new Map<string, URL>(
    process.argv.slice(2).map((arg) => {
      const [target, origin] = arg.split('=', 2) as [string, string];
      return [target, new URL(origin)];
    }),
  );
  let recording: RecordedExchange[] = [];

  function serve(target: string) {
    return async (req: IncomingMessage, res: ServerResponse) => {
      const body = await readBody(req);
      const upstream = upstreams.get(target)!;
      const tag = req.headers[ACTIVITY_TAG_HEADER];
      const at = Date.now();
      const forwarded = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...forwardHeaders(req.headers), host: upstream.host } },
        async (answer) => {
          const answerBody = await readBody(answer);
          res.writeHead(answer.statusCode ?? 502, forwardHeaders(answer.headers));
          res.end(answerBody);
          if (typeof tag === 'string') {
            recording.push({
              tag,
              target,
              at,
              method: req.method ?? 'GET',
              path: req.url ?? '/',
              headers: Object.fromEntries(Object.entries(forwardHeaders(req.headers)).filter(([n]) => n !== 'host' && n !== 'content-length').map(([n, v]) => [n, String(v)])),
              body: body.length ? body.toString('utf8') : undefined,
              status: answer.statusCode ?? 0,
              response: answerBody.toString('utf8'),
            });
          }
        },
      );
      forwarded.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`bench proxy: ${err.message}`);
      });
      forwarded.end(body);
    };
  }

  const ports: Record<string, number> = {};
  for (const target of upstreams.keys()) {
    const server = createServer((req, res) => void serve(target)(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ports[target] = (server.address() as { port: number }).port;
  }
  const admin = createServer((req, res) => {
    void readBody(req).then((body) => {
      if (req.method === 'PUT' && req.url === '/upstreams') {
        for (const [target, origin] of Object.entries(JSON.parse(body.toString()) as Record<string, string>)) upstreams.set(target, new URL(origin));
        res.writeHead(204).end();
      } else if (req.method === 'POST' && req.url === '/recording') {
        const taken = recording;
        recording = [];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(taken));
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => admin.listen(0, '127.0.0.1', r));
  ports.admin = (admin.address() as { port: number }).port;
  process.stdout.write(`PROXY_READY ${JSON.stringify(ports)}\n`);
  process.once('SIGTERM', () => process.exit(0));
}

main().catch((err: unknown) => {
  console.error(`bench proxy: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
