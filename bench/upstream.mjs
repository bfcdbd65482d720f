// The upstream of `bench/proxy.mjs`: one plain node:http process that every scenario reaches,
// directly or through a proxy. GET answers a small fixed JSON body naming the path it received (so a
// proxy that forwards the wrong path is caught); any other method drains the body and answers its
// size and SHA-256 (so a proxy that loses or changes bytes is caught). See bench/README.md.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

const PORT = Number(process.env.PORT);
const HOST = process.env.HOST ?? '127.0.0.1';
const BODY_BYTES = 200;
/** Far above the proxies' idle timeouts: a pooled connection is never closed under the proxy by this side. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const CACHED_PATHS = 64;

if (!Number.isInteger(PORT) || PORT < 1) throw new Error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);

/** The GET body for `path`, padded to BODY_BYTES for "/" so every scenario moves the same bytes. */
function upstreamBody(path) {
  const fields = { upstream: 'portico-bench', method: 'GET', path, tables: [{ id: 't1', seats: 6 }, { id: 't2', seats: 9 }] };
  const unpadded = JSON.stringify({ ...fields, pad: '' });
  return Buffer.from(JSON.stringify({ ...fields, pad: 'x'.repeat(Math.max(0, BODY_BYTES - unpadded.length)) }));
}

const bodies = new Map();
function bodyFor(path) {
  let body = bodies.get(path);
  if (body === undefined) {
    body = upstreamBody(path);
    if (bodies.size < CACHED_PATHS) bodies.set(path, body);
  }
  return body;
}

function answer(response, body) {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  response.end(body);
}

const server = createServer((request, response) => {
  if (request.method === 'GET' || request.method === 'HEAD') {
    answer(response, bodyFor(request.url));
    return;
  }
  const digest = createHash('sha256');
  let bytes = 0;
  request.on('data', (chunk) => {
    bytes += chunk.length;
    digest.update(chunk);
  });
  request.on('end', () => {
    answer(
      response,
      Buffer.from(JSON.stringify({ upstream: 'portico-bench', method: request.method, path: request.url, bytes, sha256: digest.digest('hex') })),
    );
  });
});
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
server.listen(PORT, HOST);

process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
