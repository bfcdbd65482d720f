// The floor of `bench/proxy.mjs`: the least a Node proxy can do, node:http in front of one undici
// Pool, forwarding /bench/public/* with the prefix stripped and nothing more: no header filtering,
// no forwarding headers, no auth, no balancing, no metrics, no timeouts. Not a proxy to deploy; its
// added latency is what any Node proxy pays on the machine before doing work of its own. See
// bench/README.md.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const PORT = Number(process.env.PORT);
const HOST = process.env.HOST ?? '127.0.0.1';
const UPSTREAM_URL = process.env.UPSTREAM_URL;
const PREFIX = '/bench/public';
/** What undici refuses to be handed, or must decide itself: connection management and framing. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade']);

if (!Number.isInteger(PORT) || PORT < 1) throw new Error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
if (!UPSTREAM_URL) throw new Error('UPSTREAM_URL is required');

const pool = new Pool(UPSTREAM_URL, { connections: 128 });

function forwardable(headers) {
  const kept = {};
  for (const name in headers) if (!NOT_FORWARDED.has(name)) kept[name] = headers[name];
  return kept;
}

const server = createServer((request, response) => {
  const path = request.url.startsWith(PREFIX) ? request.url.slice(PREFIX.length) || '/' : request.url;
  const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
  pool.dispatch(
    { path, method: request.method, headers: forwardable(request.headers), body: hasBody ? request : null },
    {
      onRequestStart() {},
      onResponseStart(controller, statusCode, headers) {
        response.writeHead(statusCode, forwardable(headers));
        response.on('drain', () => controller.resume());
      },
      onResponseData(controller, chunk) {
        if (!response.write(chunk)) controller.pause();
      },
      onResponseEnd() {
        response.end();
      },
      onResponseError() {
        if (response.headersSent) response.destroy();
        else response.writeHead(502).end();
      },
    },
  );
});
server.keepAliveTimeout = 65_000;
server.listen(PORT, HOST);

process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
