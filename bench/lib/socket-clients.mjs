// socket.io clients of the realtime scenario (WireSocket: the protocol without socket.io-client's
// CPU cost, see wire-socket.mjs), in child processes: one Node process cannot parse
// 10,000 sockets' frames fast enough to tell the server's delivery time from its own, and its
// garbage collections would show in every latency. The parent (`SocketClients`) splits every
// command over the workers and talks to them over IPC; each worker (this file run with `fork`)
// holds its share of the sockets and timestamps what they receive.
//
// Clocks: arrivals are stamped in each worker with performance.timeOrigin + performance.now(); the
// parent measures each worker's offset to its own clock of the same kind (the round trip with the
// shortest IPC time wins) and converts every stamp to its clock before comparing it with the moment
// it made the REST call.
import jwt from 'jsonwebtoken';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WireSocket } from './wire-socket.mjs';

const SELF = fileURLToPath(import.meta.url);
const EVENT = 'table.updated';
/** A connection attempt is given up after this long. */
const CONNECT_TIMEOUT_MS = 20_000;
const ACK_TIMEOUT_MS = 20_000;
const CALIBRATION_ROUNDS = 30;

export const clock = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// The worker: sockets, their arrivals, and the commands the parent sends.

/**
 * The sockets of this worker by group (one group per server under test, so both can hold their
 * subscribers at once and take turns): each group's open sockets, the arrivals of their
 * `table.updated` events since they last subscribed (arrivals[k]: every socket's k-th event), and
 * the table those events must be about.
 */
const groups = new Map();
/** `${group}:${k}` → resolve(), for a collect() waiting until every socket of the group has its k-th event. */
const waiting = new Map();

function groupOf(name) {
  if (!groups.has(name)) groups.set(name, { sockets: [], arrivals: [], tableId: undefined });
  return groups.get(name);
}

function arrival(group, k) {
  group.arrivals[k] ??= { times: [], labels: [], wrongTable: 0, payloadBytes: 0 };
  return group.arrivals[k];
}

function onEvent(socket, payload) {
  const at = clock();
  const group = groupOf(socket.group);
  const k = socket.received++;
  const entry = arrival(group, k);
  entry.times.push(at);
  entry.labels.push(socket.label);
  if (payload?.table?.id !== group.tableId) entry.wrongTable += 1;
  if (entry.payloadBytes === 0) entry.payloadBytes = Buffer.byteLength(JSON.stringify(payload));
  if (entry.times.length === group.sockets.length) waiting.get(`${socket.group}:${k}`)?.();
}

/**
 * Opens `count` sockets and reports each connect time (failures are counted by message, not
 * retried). With `ratePerSec`, socket i starts at start + i / rate whatever the earlier ones do (a
 * storm); otherwise at most `concurrency` connect at a time (building a population).
 */
async function connect({ group: name, url, label, count, ratePerSec, concurrency, secret, subjects }) {
  const group = groupOf(name);
  // Signed before the clock starts: the storm measures the server, not this worker's HMACs.
  const tokens = subjects.map((subject) => jwt.sign({ roles: ['player'] }, secret, { subject, algorithm: 'HS256', expiresIn: '1h' }));
  const latencies = [];
  const lateness = [];
  const errors = {};
  let failed = 0;
  const start = performance.now();
  await new Promise((resolve) => {
    let settled = 0;
    let sent = 0;
    const settle = () => {
      if (++settled === count) resolve();
      else if (ratePerSec === undefined && sent < count) open(sent++);
    };
    const open = (index) => {
      const began = performance.now();
      if (ratePerSec !== undefined) lateness.push(began - start - (index * 1000) / ratePerSec);
      const socket = new WireSocket(url, { auth: { token: tokens[index] }, timeoutMs: CONNECT_TIMEOUT_MS });
      socket.group = name;
      socket.label = label;
      socket.received = 0;
      socket.on('event', (event, payload) => event === EVENT && onEvent(socket, payload));
      socket.once('connect', () => {
        latencies.push(performance.now() - began);
        group.sockets.push(socket);
        settle();
      });
      socket.once('connect_error', (error) => {
        failed += 1;
        errors[error.message] = (errors[error.message] ?? 0) + 1;
        socket.close();
        settle();
      });
    };
    const tick = () => {
      const now = performance.now() - start;
      while (sent < count && (sent * 1000) / ratePerSec <= now) open(sent++);
      if (sent < count) setTimeout(tick, 1);
    };
    if (count === 0) resolve();
    else if (ratePerSec !== undefined) tick();
    else while (sent < Math.min(concurrency, count)) open(sent++);
  });
  return { latencies, lateness, failed, errors };
}

/** Every socket of the group subscribes to `channel` and waits for its ack; its arrivals start again from zero. */
async function subscribe({ group: name, channel, tableId }) {
  const group = groupOf(name);
  group.arrivals = [];
  group.tableId = tableId;
  for (const socket of group.sockets) socket.received = 0;
  const acks = await Promise.all(
    group.sockets.map((socket) =>
      socket.request('subscribe', { channel }, ACK_TIMEOUT_MS).then(
        (ack) => (ack?.ok === true ? 'ok' : `error ack: ${JSON.stringify(ack)}`),
        (error) => `no ack: ${error.message}`,
      ),
    ),
  );
  const failures = {};
  for (const ack of acks) if (ack !== 'ok') failures[ack] = (failures[ack] ?? 0) + 1;
  return { ok: acks.filter((ack) => ack === 'ok').length, failures };
}

/** Waits until every socket of the group has received its k-th event (or `timeoutMs`), then hands over the stamps. */
async function collect({ group: name, k, timeoutMs }) {
  const group = groupOf(name);
  if ((group.arrivals[k]?.times.length ?? 0) < group.sockets.length) {
    const key = `${name}:${k}`;
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      waiting.set(key, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    waiting.delete(key);
  }
  const entry = arrival(group, k);
  return { times: entry.times, labels: entry.labels, missing: group.sockets.length - entry.times.length, wrongTable: entry.wrongTable, payloadBytes: entry.payloadBytes };
}

function disconnect({ group: name }) {
  const group = groupOf(name);
  for (const socket of group.sockets) socket.close();
  groups.delete(name);
  return { closed: group.sockets.length };
}

const COMMANDS = {
  clock: () => clock(),
  connect,
  subscribe,
  collect,
  disconnect,
  memory: () => process.memoryUsage().rss,
};

if (process.argv[1] === SELF) {
  process.on('message', async ({ id, command, args }) => {
    try {
      process.send({ id, result: await COMMANDS[command](args) });
    } catch (error) {
      process.send({ id, error: error instanceof Error ? error.stack : String(error) });
    }
  });
  // The parent is gone (ended or killed): nothing here is worth keeping.
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// The parent's side.

/** `total` split into `parts` shares that differ by at most one. */
const shares = (total, parts) => Array.from({ length: parts }, (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0));

export class SocketClients {
  /** Starts `count` worker processes. */
  constructor(count) {
    this.workers = Array.from({ length: count }, () => {
      const worker = { process: fork(SELF, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }), calls: new Map(), nextId: 0, offsetMs: 0 };
      worker.process.on('message', ({ id, result, error }) => {
        const call = worker.calls.get(id);
        worker.calls.delete(id);
        if (error) call?.reject(new Error(`socket client worker ${worker.process.pid}: ${error}`));
        else call?.resolve(result);
      });
      worker.process.once('exit', (code, signal) => {
        for (const call of worker.calls.values()) call.reject(new Error(`socket client worker ${worker.process.pid} exited with ${signal ?? `code ${code}`}`));
        worker.calls.clear();
      });
      return worker;
    });
    this.subjectsUsed = 0;
  }

  get pids() {
    return this.workers.map((worker) => worker.process.pid);
  }

  call(worker, command, args) {
    return new Promise((resolve, reject) => {
      const id = worker.nextId++;
      worker.calls.set(id, { resolve, reject });
      worker.process.send({ id, command, args });
    });
  }

  all(command, argsOf = () => undefined) {
    return Promise.all(this.workers.map((worker, index) => this.call(worker, command, argsOf(index))));
  }

  /** Each worker's clock minus this process's clock, from the round trip with the least IPC time. */
  async calibrate() {
    for (const worker of this.workers) {
      let best = { roundTripMs: Infinity, offsetMs: 0 };
      for (let round = 0; round < CALIBRATION_ROUNDS; round++) {
        const sent = clock();
        const theirs = await this.call(worker, 'clock');
        const received = clock();
        if (received - sent < best.roundTripMs) best = { roundTripMs: received - sent, offsetMs: theirs - (sent + received) / 2 };
      }
      worker.offsetMs = best.offsetMs;
      worker.calibrationRoundTripMs = best.roundTripMs;
    }
    return this.workers.map((worker) => ({ offsetMs: worker.offsetMs, roundTripMs: worker.calibrationRoundTripMs }));
  }

  /**
   * Opens `count` sockets to `url`, spread over the workers, each with a token of its own subject
   * (signed with `secret`): at `ratePerSec` in total, or `concurrency` at a time in total. Resolves
   * with every connect latency and the failures by message.
   */
  async connect({ group, url, label, count, ratePerSec, concurrency, secret }) {
    const counts = shares(count, this.workers.length);
    const firstSubject = this.subjectsUsed;
    this.subjectsUsed += count;
    const results = await this.all('connect', (index) => {
      const from = firstSubject + counts.slice(0, index).reduce((sum, n) => sum + n, 0);
      return {
        group,
        url,
        label,
        count: counts[index],
        ...(ratePerSec !== undefined && { ratePerSec: (ratePerSec * counts[index]) / count }),
        concurrency: Math.max(1, Math.round((concurrency ?? 1) / this.workers.length)),
        secret,
        subjects: Array.from({ length: counts[index] }, (_, n) => `rtbench-${from + n}`),
      };
    });
    const errors = {};
    for (const result of results) for (const [message, n] of Object.entries(result.errors)) errors[message] = (errors[message] ?? 0) + n;
    return {
      latencies: results.flatMap((result) => result.latencies),
      lateness: results.flatMap((result) => result.lateness),
      failed: results.reduce((sum, result) => sum + result.failed, 0),
      errors,
    };
  }

  async subscribe(group, channel, tableId) {
    const results = await this.all('subscribe', () => ({ group, channel, tableId }));
    const failures = {};
    for (const result of results) for (const [message, n] of Object.entries(result.failures)) failures[message] = (failures[message] ?? 0) + n;
    return { ok: results.reduce((sum, result) => sum + result.ok, 0), failures };
  }

  /** The k-th event of every socket of `group`, stamped on this process's clock: `{ times, labels, missing, wrongTable, payloadBytes }`. */
  async collect(group, k, timeoutMs) {
    const results = await this.all('collect', () => ({ group, k, timeoutMs }));
    return {
      times: results.flatMap((result, index) => result.times.map((time) => time - this.workers[index].offsetMs)),
      labels: results.flatMap((result) => result.labels),
      missing: results.reduce((sum, result) => sum + result.missing, 0),
      wrongTable: results.reduce((sum, result) => sum + result.wrongTable, 0),
      payloadBytes: Math.max(...results.map((result) => result.payloadBytes)),
    };
  }

  async disconnect(group) {
    const results = await this.all('disconnect', () => ({ group }));
    return results.reduce((sum, result) => sum + result.closed, 0);
  }

  /** RSS of every worker, in MiB. */
  async memoryMiB() {
    const rss = await this.all('memory');
    return rss.map((bytes) => Math.round(bytes / 1024 / 1024));
  }

  stop() {
    for (const worker of this.workers) worker.process.kill('SIGKILL');
  }
}
