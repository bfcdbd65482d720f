// The baseline for bench/lobby.mjs: GET /api/v1/lobby written by hand on plain Fastify 5, doing the
// gateway's work and nothing else. Same generated grpc-js clients and channel options, same JWT
// checks (jsonwebtoken.verify, pinned HS256, clock tolerance, exp and sub required), same deadlines
// sent as gRPC deadlines, same request id handling, same JSON shape. Not here: the Nest pipeline
// (guards, pipes, interceptors, filters), passport, Prometheus metrics, pino request logging and
// the gateway's abort-on-disconnect wiring — what the benchmark is meant to put a price on.
//
// Configured like the gateway, by environment: PORT, HOST, JWT_SECRET, PLAYER_SERVICE_URL,
// TABLE_SERVICE_URL, REQUIRED_SOURCE_TIMEOUT_MS, OPTIONAL_SOURCE_TIMEOUT_MS, JWT_CLOCK_TOLERANCE_S.
import { createSecretKey } from 'node:crypto';
import { credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { playerV1, tableV1 } from '@portico/contracts';
import Fastify from 'fastify';
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

const integer = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
};

const config = {
  port: integer('PORT', 3100),
  host: process.env.HOST ?? '127.0.0.1',
  // A KeyObject built once, as the gateway does: a string would be re-parsed on every verification.
  secret: createSecretKey(Buffer.from(required('JWT_SECRET'), 'utf8')),
  playerAddress: required('PLAYER_SERVICE_URL'),
  tableAddress: required('TABLE_SERVICE_URL'),
  requiredMs: integer('REQUIRED_SOURCE_TIMEOUT_MS', 2_000),
  optionalMs: integer('OPTIONAL_SOURCE_TIMEOUT_MS', 800),
  clockToleranceS: integer('JWT_CLOCK_TOLERANCE_S', 5),
};

// As libs/grpc createGrpcClient: one long-lived channel per service with keepalive.
const CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};
const tables = new tableV1.TableServiceClient(config.tableAddress, credentials.createInsecure(), CHANNEL_OPTIONS);
const players = new playerV1.PlayerServiceClient(config.playerAddress, credentials.createInsecure(), CHANNEL_OPTIONS);

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const requestIdFor = (incoming) => (typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID());

function call(client, method, request, requestId, deadlineMs) {
  const metadata = new Metadata();
  metadata.set('x-request-id', requestId);
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline: Date.now() + deadlineMs }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

// The gateway's gRPC→HTTP table (libs/errors grpc-status.ts), for the failure paths: only statuses a
// service chose (< 500) pass its message on; transport failures answer the lowercased title.
const HTTP_FOR_GRPC = new Map([
  [GrpcStatus.NOT_FOUND, [404, 'Not found']],
  [GrpcStatus.INVALID_ARGUMENT, [400, 'Invalid argument']],
  [GrpcStatus.FAILED_PRECONDITION, [409, 'Conflict']],
  [GrpcStatus.PERMISSION_DENIED, [403, 'Forbidden']],
  [GrpcStatus.UNAUTHENTICATED, [401, 'Unauthorized']],
  [GrpcStatus.UNAVAILABLE, [503, 'Upstream unavailable']],
  [GrpcStatus.DEADLINE_EXCEEDED, [504, 'Upstream timeout']],
]);

function classify(source, error, deadlineMs) {
  // The gateway's own timer fires with the gRPC deadline; its message names the source.
  if (error?.code === GrpcStatus.DEADLINE_EXCEEDED) return { status: 504, detail: `${source} did not answer within ${deadlineMs} ms` };
  if (typeof error?.code !== 'number' || typeof error?.details !== 'string') return { status: 502, detail: 'upstream error' };
  const [status, title] = HTTP_FOR_GRPC.get(error.code) ?? [502, 'Upstream error'];
  return { status, detail: status < 500 ? error.details : title.toLowerCase() };
}

function problem(reply, request, status, detail, headers = {}) {
  return reply
    .status(status)
    .headers(headers)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify({ title: `HTTP ${status}`, status, detail, instance: request.url.split('?', 1)[0], requestId: request.id }));
}

/** passport-jwt's bearer extraction followed by what JwtStrategy.validate insists on. */
function authenticate(header) {
  const match = typeof header === 'string' ? /(\S+)\s+(\S+)/.exec(header) : null;
  if (!match || match[1].toLowerCase() !== 'bearer') return { error: 'a bearer token is required' };
  try {
    const payload = jwt.verify(match[2], config.secret, { algorithms: ['HS256'], clockTolerance: config.clockToleranceS });
    if (typeof payload.exp !== 'number') return { error: 'token has no exp claim' };
    if (typeof payload.sub !== 'string' || payload.sub === '') return { error: 'token has no sub claim' };
    return { principal: payload };
  } catch (error) {
    return { error: error.message };
  }
}

const app = Fastify({ logger: false, genReqId: (raw) => requestIdFor(raw.headers['x-request-id']), trustProxy: false, bodyLimit: 1_048_576 });

app.get('/api/v1/lobby', async (request, reply) => {
  reply.header('x-request-id', request.id);
  const auth = authenticate(request.headers.authorization);
  if (auth.error) return problem(reply, request, 401, auth.error, { 'www-authenticate': 'Bearer realm="portico"' });

  let listed;
  try {
    listed = await call(tables, 'listTables', {}, request.id, config.requiredMs);
  } catch (error) {
    const { status, detail } = classify('tables', error, config.requiredMs);
    return problem(reply, request, status, `tables: ${detail}`);
  }

  const seated = [...new Set(listed.tables.flatMap((table) => table.seatedPlayerIds))];
  const errors = [];
  const names = new Map();
  if (seated.length > 0) {
    try {
      const found = await call(players, 'batchGetPlayers', { playerIds: seated }, request.id, config.optionalMs);
      for (const player of found.players) names.set(player.id, player.displayName);
    } catch (error) {
      errors.push({ source: 'players', ...classify('players', error, config.optionalMs) });
    }
  }

  return {
    tables: listed.tables.map((table) => ({
      id: table.id,
      name: table.name,
      game: table.game,
      stakes: table.stakes,
      capacity: table.capacity,
      openSeats: Math.max(0, table.capacity - table.seatedPlayerIds.length),
      seats: table.seatedPlayerIds.map((playerId) => ({ playerId, displayName: names.get(playerId) ?? null })),
    })),
    // Nobody holds a socket during the benchmark: the gateway's in-memory presence count is 0 as well.
    online: 0,
    partial: errors.length > 0,
    errors,
  };
});

let closing = false;
async function close() {
  if (closing) return;
  closing = true;
  await app.close();
  tables.close();
  players.close();
  process.exit(0);
}
process.on('SIGTERM', close);
process.on('SIGINT', close);

await app.listen({ port: config.port, host: config.host });
