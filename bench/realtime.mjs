// `npm run bench:realtime` (and part of `npm run bench`): the `/realtime` socket.io namespace of the
// gateway against a bare socket.io 4.8 server speaking the same protocol (bench/lib/bare-socketio.mjs),
// in one run: memory per 1,000 authenticated sockets, a connect storm, a broadcast to 10,000
// subscribers, and one REST join delivered to subscribers on two instances through Redis. Prints a
// markdown table and writes the `realtime` section of bench/results/<YYYY-MM-DD>.json. See bench/README.md.
import { PLAYER_SERVICE, TABLE_SERVICE } from '@portico/contracts';
import jwt from 'jsonwebtoken';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { exitPaths, start, startCommand, stop } from './lib/processes.mjs';
import { freePorts, waitForGrpcServing, waitForHttpOk, waitForRedis } from './lib/probes.mjs';
import { writeResults } from './lib/results.mjs';
import { realtimeSettings } from './lib/settings.mjs';
import { clock, SocketClients } from './lib/socket-clients.mjs';
import { announceRun, cpuTimeMs, loadAverage, machine, machineCpuMs, memoryOf, round } from './lib/system.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const GATEWAY_MAIN = join(ROOT, 'dist/apps/gateway/main.js');
/** Above this share of the machine's CPU used by other processes, a phase counts as disturbed. */
const DISTURBED_PERCENT = 5;
const LOG_LEVEL = 'warn';
const JWT_CLOCK_TOLERANCE_S = 5;
/** The demo table every join and leave goes to; its channel is the one every socket subscribes to. */
const TABLE_ID = 't1';
const CHANNEL = `table:${TABLE_ID}`;
/** The player whose join (then leave) triggers each event: joining twice would change nothing. */
const CASTER = 'rtbench-caster';
/** Sockets opened, subscribed, broadcast to once and closed before anything is measured. */
const WARMUP_SOCKETS = 500;
/** Joins through two instances delivered before the fan-out samples, unmeasured. */
const WARMUP_SAMPLES = 3;
/** Time for closed sockets to be torn down and connect garbage to settle before a reading. */
const SETTLE_MS = 2_000;
const DELIVERY_TIMEOUT_MS = 10_000;
/** Before the storm the server must have gone quiet: below this share of one core over one poll… */
const QUIET_CPU_PERCENT = 5;
const QUIET_POLL_MS = 250;
/** …within this long, or the storm starts anyway and the report says how busy it still was. */
const QUIET_TIMEOUT_MS = 20_000;

const TARGETS = {
  rssPerThousandMB: 30,
  fanoutLastP99Ms: 100,
  broadcastRatio: 1.1,
  connectP99Ms: 500,
};

const settings = realtimeSettings();

// ---------------------------------------------------------------------------------------------
// Exit paths: every one of them stops the children and the socket client workers.

let clients;
const finish = exitPaths(() => clients?.stop());

// ---------------------------------------------------------------------------------------------

const step = (message) => process.stdout.write(`• ${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}

/** p50/p90/p99/max of `values` (ms), rounded to 0.1 ms. */
function distribution(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (fraction) => (sorted.length === 0 ? null : round(percentile(sorted, fraction), 1));
  return { count: sorted.length, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: sorted.length === 0 ? null : round(sorted.at(-1), 1) };
}

const median = (values) => distribution(values).p50Ms;

function p99OfAttempts(latencies, failed) {
  const attempts = [...latencies, ...Array.from({ length: failed }, () => Infinity)];
  const p99 = percentile(Float64Array.from(attempts).sort(), 0.99);
  return p99 === null || p99 === Infinity ? null : round(p99, 1);
}

/** A clear stop when the machine cannot hold the sockets: Node raises its soft limit to the hard one. */
function checkFileLimit() {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Infinity);
  const needed = settings.sockets + 1_000;
  if (soft < needed) {
    throw new Error(`the open-file limit is ${soft}; ${settings.sockets} sockets on one server need about ${needed}: raise it (ulimit -n ${needed * 2}) and run again`);
  }
  return soft;
}

function redisServerPath() {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('redis-server not found on PATH; the two-instance phase needs a Redis of its own (apt-get install redis-server)');
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: what the server under test used, and what the rest of the machine did meanwhile.

/** Runs `work` and returns its result with the CPU `server` used and the share used by processes outside the benchmark. */
async function withCpu(server, everyonePids, work) {
  const ownCpu = () => {
    const { user, system } = process.cpuUsage();
    return everyonePids().reduce((sum, pid) => sum + cpuTimeMs(pid), 0) + (user + system) / 1000;
  };
  const serverBefore = cpuTimeMs(server.pid);
  const machineBefore = machineCpuMs();
  const ownBefore = ownCpu();
  const result = await work();
  const machineAfter = machineCpuMs();
  const own = ownCpu() - ownBefore;
  return {
    result,
    serverCpuMs: cpuTimeMs(server.pid) - serverBefore,
    otherCpuPercent: Math.max(0, round((100 * (machineAfter.busyMs - machineBefore.busyMs - own)) / (machineAfter.totalMs - machineBefore.totalMs), 1)),
  };
}

// ---------------------------------------------------------------------------------------------
// The phases. A target is one server under test (bare or gateway) with its two instances; its
// sockets are one group in the client workers, so both targets hold their subscribers at once and
// the compared measurements alternate between them (A B, B A, ...): drift of the machine, and the
// clients' own warming up, then fall on no one side.

/** Calls `work(target)` for every target still measurable, in this order; a target that fails is left out from then on. */
async function eachTarget(targets, work) {
  for (const target of targets) {
    if (target.error) continue;
    try {
      await work(target);
    } catch (error) {
      target.error = error.message;
      step(`${target.label}: failed: ${error.message}`);
      await clients.disconnect(target.key);
    }
  }
}

/** Rounds in alternating order, `rounds` times. */
async function alternating(targets, rounds, work) {
  for (let index = 0; index < rounds; index++) await eachTarget(index % 2 === 0 ? targets : [...targets].reverse(), work);
}

/**
 * One event: POST join or leave through `instance`, then every subscriber's arrival, as ms after
 * the moment the request left this process. It is the target's k-th event since its sockets subscribed.
 */
async function deliver(target, instance, action, expected) {
  const k = target.eventsSinceSubscribe++;
  const sentAt = clock();
  const response = await fetch(`${instance.base}/api/v1/tables/${TABLE_ID}/${action}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.casterToken}` },
    signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
  });
  const body = await response.text();
  const answeredMs = clock() - sentAt;
  if (response.status !== 200) throw new Error(`POST ${action} through ${instance.name} answered HTTP ${response.status}: ${body.slice(0, 300)}`);
  const got = await clients.collect(target.key, k, DELIVERY_TIMEOUT_MS);
  if (got.missing > 0) {
    throw new Error(`${got.missing} of ${expected} subscribers did not receive ${action}'s table.updated within ${DELIVERY_TIMEOUT_MS} ms after POST ${action} through ${instance.name}`);
  }
  if (got.wrongTable > 0) throw new Error(`${got.wrongTable} table.updated events after POST ${action} were not about table ${TABLE_ID}`);
  const delays = got.times.map((time) => time - sentAt);
  const byLabel = {};
  got.labels.forEach((label, index) => (byLabel[label] ??= []).push(delays[index]));
  return {
    answeredMs,
    firstMs: Math.min(...delays),
    lastMs: Math.max(...delays),
    delays,
    lastByInstanceMs: Object.fromEntries(Object.entries(byLabel).map(([label, values]) => [label, Math.max(...values)])),
    payloadBytes: got.payloadBytes,
  };
}

/** A join then a leave through `instance`, with the CPU of the target's first instance: the join is the measured event, the leave puts the table back. */
async function joinAndLeave(target, instance, expected) {
  const measured = await withCpu(target.instances[0].child, target.everyonePids, async () => {
    const joined = await deliver(target, instance, 'join', expected);
    await deliver(target, instance, 'leave', expected);
    return joined;
  });
  return { ...measured.result, serverCpuMs: measured.serverCpuMs, otherCpuPercent: measured.otherCpuPercent };
}

async function openSockets(target, instance, count) {
  const connected = await clients.connect({
    group: target.key,
    url: `${instance.base}/realtime`,
    label: instance.name,
    count,
    concurrency: settings.connectConcurrency,
    secret: target.secret,
  });
  if (connected.failed > 0) throw new Error(`${connected.failed} of ${count} connections to ${instance.name} failed: ${JSON.stringify(connected.errors)}`);
}

async function subscribe(target, expected) {
  const subscribed = await clients.subscribe(target.key, CHANNEL, TABLE_ID);
  if (subscribed.ok !== expected) throw new Error(`${subscribed.ok} of ${expected} subscribe acks were { ok: true }: ${JSON.stringify(subscribed.failures)}`);
  target.eventsSinceSubscribe = 0;
}

async function closeSockets(target) {
  await clients.disconnect(target.key);
  await sleep(SETTLE_MS);
}

/**
 * Waits until `pid` uses less than QUIET_CPU_PERCENT of a core over one poll: closing thousands of
 * sockets (and, for the gateway, ending their sessions in Redis) goes on for a while after the
 * clients have gone, and a storm started meanwhile would measure that. Returns the last reading.
 */
async function untilQuiet(pid) {
  const deadline = performance.now() + QUIET_TIMEOUT_MS;
  for (;;) {
    const before = cpuTimeMs(pid);
    await sleep(QUIET_POLL_MS);
    const percent = round((100 * (cpuTimeMs(pid) - before)) / QUIET_POLL_MS, 1);
    if (percent < QUIET_CPU_PERCENT || performance.now() > deadline) return percent;
  }
}

/** Unmeasured: sockets connect, subscribe, receive one join and leave, and close. */
async function warmUp(target) {
  const [a] = target.instances;
  target.result.memory = { idle: memoryOf(a.child.pid) };
  step(`${target.label}: warm-up: ${WARMUP_SOCKETS} sockets, subscribe, one join and leave, close`);
  await openSockets(target, a, WARMUP_SOCKETS);
  await subscribe(target, WARMUP_SOCKETS);
  await joinAndLeave(target, a, WARMUP_SOCKETS);
  await closeSockets(target);
}

/**
 * Target 4: handshakes at a fixed rate whatever the server does with the earlier ones; failures are
 * counted, not retried. The sockets are closed again: the storm measures connecting, not holding.
 */
async function connectStorm(target) {
  const [a] = target.instances;
  const handshakes = settings.stormRatePerSec * settings.stormSeconds;
  const cpuBeforePercent = await untilQuiet(a.child.pid);
  step(`${target.label}: connect storm: ${handshakes} handshakes at ${settings.stormRatePerSec}/s to ${a.name} (server at ${cpuBeforePercent} % of a core before)`);
  const storm = await withCpu(a.child, target.everyonePids, () =>
    clients.connect({ group: target.key, url: `${a.base}/realtime`, label: a.name, count: handshakes, ratePerSec: settings.stormRatePerSec, secret: target.secret }),
  );
  if (storm.result.failed > 0) step(`${target.label}: ${storm.result.failed} of ${handshakes} storm connections failed: ${JSON.stringify(storm.result.errors)}`);
  await closeSockets(target);
  target.result.connectStorm = {
    handshakes,
    ratePerSec: settings.stormRatePerSec,
    latency: distribution(storm.result.latencies),
    failed: storm.result.failed,
    failures: storm.result.errors,
    /** p99 over every attempt, a failed one counting as slower than any: null when more than 1 % failed. */
    p99OfAttemptsMs: p99OfAttempts(storm.result.latencies, storm.result.failed),
    lateDispatch: distribution(storm.result.lateness),
    serverCpuMsPerConnect: round(storm.serverCpuMs / handshakes, 3),
    serverCpuPercentBefore: cpuBeforePercent,
    otherCpuPercent: storm.otherCpuPercent,
  };
}

/** Target 1: the population whose memory is read, built a bounded number of handshakes at a time, then subscribed. */
async function populate(target) {
  const [a] = target.instances;
  const memory = target.result.memory;
  memory.beforeConnect = memoryOf(a.child.pid);
  step(`${target.label}: ${settings.sockets} sockets to ${a.name}, ${settings.connectConcurrency} connecting at a time`);
  await openSockets(target, a, settings.sockets);
  await sleep(SETTLE_MS);
  memory.connected = memoryOf(a.child.pid);
  memory.rssPerThousandMB = round((((memory.connected.rssMiB - memory.beforeConnect.rssMiB) * 1.048576) / settings.sockets) * 1_000, 1);
  step(`${target.label}: RSS ${memory.beforeConnect.rssMiB} → ${memory.connected.rssMiB} MiB with ${settings.sockets} sockets: ${memory.rssPerThousandMB} MB per 1,000`);
  await subscribe(target, settings.sockets);
  memory.subscribed = memoryOf(a.child.pid);
}

function broadcastResult(rounds) {
  return {
    subscribers: settings.sockets,
    rounds: rounds.length,
    lastDeliveryMedianMs: median(rounds.map((r) => r.lastMs)),
    lastDeliveryByRoundMs: rounds.map((r) => round(r.lastMs, 1)),
    firstDeliveryMedianMs: median(rounds.map((r) => r.firstMs)),
    restAnswerMedianMs: median(rounds.map((r) => r.answeredMs)),
    deliveries: distribution(rounds.flatMap((r) => r.delays)),
    // Every round is two events (the join, then the leave that puts the table back).
    serverCpuMsPerEvent: round(rounds.reduce((sum, r) => sum + r.serverCpuMs, 0) / (2 * rounds.length), 1),
    payloadBytes: rounds[0]?.payloadBytes ?? null,
    otherCpuPercent: Math.max(...rounds.map((r) => r.otherCpuPercent)),
  };
}

function fanoutResult(target, samples, half) {
  const [a, b] = target.instances;
  return {
    subscribers: { [a.name]: half, [b.name]: settings.fanoutSockets - half },
    samples: samples.length,
    lastDelivery: distribution(samples.map((s) => s.lastMs)),
    lastDeliveryByInstance: Object.fromEntries(target.instances.map((instance) => [instance.name, distribution(samples.map((s) => s.lastByInstanceMs[instance.name]))])),
    firstDelivery: distribution(samples.map((s) => s.firstMs)),
    deliveries: distribution(samples.flatMap((s) => s.delays)),
    restAnswer: distribution(samples.map((s) => s.answeredMs)),
    otherCpuPercent: Math.max(...samples.map((s) => s.otherCpuPercent)),
  };
}

/** Every phase for every target: the ones compared with each other in alternating rounds. */
async function measure(targets) {
  await eachTarget(targets, warmUp);
  // Before the storm: its 5,000 handshakes grow the heap, and sockets added afterwards would move
  // into room already taken, under-reading what they cost.
  await eachTarget(targets, populate);

  // Target 3: both populations subscribed, one join each in turn.
  step(`broadcast to ${settings.sockets} subscribers: ${settings.broadcasts} joins through A, alternating between ${targets.map((t) => t.label).join(' and ')}`);
  const rounds = Object.fromEntries(targets.map((target) => [target.key, []]));
  await alternating(targets, settings.broadcasts, async (target) => rounds[target.key].push(await joinAndLeave(target, target.instances[0], settings.sockets)));
  const clientWorkersRssMiB = await clients.memoryMiB();
  await eachTarget(targets, async (target) => {
    target.result.broadcast = broadcastResult(rounds[target.key]);
    target.result.memory.clientWorkersRssMiB = clientWorkersRssMiB;
    await closeSockets(target);
  });

  await eachTarget(targets, connectStorm);

  // Target 2: half the subscribers on each instance, every join through the first.
  const half = Math.floor(settings.fanoutSockets / 2);
  const samples = Object.fromEntries(targets.map((target) => [target.key, []]));
  await eachTarget(targets, async (target) => {
    const [a, b] = target.instances;
    step(`${target.label}: fan-out: ${half} subscribers on ${a.name}, ${settings.fanoutSockets - half} on ${b.name}`);
    await Promise.all([openSockets(target, a, half), openSockets(target, b, settings.fanoutSockets - half)]);
    await subscribe(target, settings.fanoutSockets);
    for (let index = 0; index < WARMUP_SAMPLES; index++) await joinAndLeave(target, a, settings.fanoutSockets);
  });
  step(`fan-out: ${settings.fanoutSamples} joins through A, alternating`);
  await alternating(targets, settings.fanoutSamples, async (target) => samples[target.key].push(await joinAndLeave(target, target.instances[0], settings.fanoutSockets)));
  await eachTarget(targets, async (target) => {
    target.result.fanout = fanoutResult(target, samples[target.key], half);
    await closeSockets(target);
    target.result.memory.after = memoryOf(target.instances[0].child.pid);
  });
}

// ---------------------------------------------------------------------------------------------
// The gateway's namespace may not exist yet: tell that apart from a gateway that refuses the bench.

/** undefined when `/realtime` accepts a valid token; the reason to skip when the namespace is missing; throws otherwise. */
async function probeNamespace(base, token) {
  const error = await new Promise((resolve) => {
    const socket = io(`${base}/realtime`, { path: '/socket.io', transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false, timeout: 5_000 });
    socket.once('connect', () => {
      socket.close();
      resolve(undefined);
    });
    socket.once('connect_error', (failure) => {
      socket.close();
      resolve(failure.message);
    });
  });
  if (error === undefined) return undefined;
  if (error === 'Invalid namespace') return 'gateway has no /realtime namespace yet (socket.io answered "Invalid namespace")';
  // The WebSocket upgrade failed: a 404 to engine.io's handshake means no socket.io server at all.
  const handshake = await fetch(`${base}/socket.io/?EIO=4&transport=polling`, { signal: AbortSignal.timeout(5_000) });
  await handshake.arrayBuffer();
  if (handshake.status === 404) return `gateway has no /realtime namespace yet (connect failed with "${error}"; GET /socket.io/ answered 404: no socket.io server)`;
  throw new Error(`the gateway refused a valid token on /realtime: ${error}`);
}

// ---------------------------------------------------------------------------------------------
// Report.

function markdownTable(rows) {
  const widths = rows[0].map((_, column) => Math.max(3, ...rows.map((row) => row[column].length)));
  const line = (row) => `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(rows[0]), rule, ...rows.slice(1).map(line)];
}

const fixed = (value, digits = 1) => (value === null || value === undefined ? '-' : value.toFixed(digits));

function judge(results) {
  const bare = results.bare;
  const gateway = results.gateway?.connectStorm ? results.gateway : undefined;
  const entries = [
    {
      name: 'rssPerThousandSockets',
      description: `gateway RSS per 1,000 authenticated sockets (${settings.sockets} on one instance)`,
      value: gateway?.memory.rssPerThousandMB ?? null,
      limitText: `≤ ${TARGETS.rssPerThousandMB} MB`,
      pass: (value) => value <= TARGETS.rssPerThousandMB,
      unit: ' MB',
    },
    {
      name: 'fanoutLastDeliveryP99',
      description: `gateway REST join → last of ${settings.fanoutSockets} subscribers on two instances, p99 over ${settings.fanoutSamples} joins`,
      value: gateway?.fanout.lastDelivery.p99Ms ?? null,
      limitText: `< ${TARGETS.fanoutLastP99Ms} ms`,
      pass: (value) => value < TARGETS.fanoutLastP99Ms,
      unit: ' ms',
    },
    {
      name: 'broadcastRatio',
      description: `broadcast to ${settings.sockets} subscribers, last delivery, gateway ÷ bare socket.io (medians of ${settings.broadcasts})`,
      value: gateway && bare?.broadcast ? round(gateway.broadcast.lastDeliveryMedianMs / bare.broadcast.lastDeliveryMedianMs, 2) : null,
      limitText: `≤ ${TARGETS.broadcastRatio}×`,
      pass: (value) => value <= TARGETS.broadcastRatio,
      unit: '×',
    },
    {
      name: 'connectStormP99',
      description: `gateway connect p99 in a storm of ${settings.stormRatePerSec} JWT handshakes/s for ${settings.stormSeconds} s (a failed connect counts as slower than any)`,
      value: gateway?.connectStorm.p99OfAttemptsMs ?? null,
      failed: gateway?.connectStorm.failed,
      limitText: `< ${TARGETS.connectP99Ms} ms, none failed`,
      pass: (value) => value < TARGETS.connectP99Ms && gateway.connectStorm.failed === 0,
      unit: ' ms',
    },
  ];
  return entries.map(({ pass, ...entry }) => ({
    ...entry,
    // A storm where more than 1 % failed has no p99: that is a failure, not a skip.
    pass: entry.value === null ? (entry.failed > 0 ? false : null) : pass(entry.value),
  }));
}

function printReport(report) {
  const columns = Object.entries({ bare: 'bare socket.io', gateway: 'gateway' }).filter(([key]) => report.results[key]?.connectStorm);
  const row = (label, pick) => [label, ...columns.map(([key]) => pick(report.results[key]))];
  const rows = [
    ['', ...columns.map(([, name]) => name)],
    row('RSS per 1,000 sockets (MB)', (r) => fixed(r.memory.rssPerThousandMB)),
    row(`RSS before → ${settings.sockets} sockets → subscribed (MiB)`, (r) => `${fixed(r.memory.beforeConnect.rssMiB)} → ${fixed(r.memory.connected.rssMiB)} → ${fixed(r.memory.subscribed.rssMiB)}`),
    row(`storm ${settings.stormRatePerSec}/s: connect p50 / p99 / max ms`, (r) => `${fixed(r.connectStorm.latency.p50Ms)} / ${fixed(r.connectStorm.latency.p99Ms)} / ${fixed(r.connectStorm.latency.maxMs)}`),
    row('storm: failed connects', (r) => `${r.connectStorm.failed} of ${r.connectStorm.handshakes}`),
    row('server CPU ms per connect', (r) => fixed(r.connectStorm.serverCpuMsPerConnect, 3)),
    row('client dispatch lag p99 ms (storm)', (r) => fixed(r.connectStorm.lateDispatch.p99Ms)),
    row(`broadcast ${settings.sockets}: last delivery ms (median)`, (r) => fixed(r.broadcast.lastDeliveryMedianMs)),
    row(`broadcast ${settings.sockets}: first delivery ms (median)`, (r) => fixed(r.broadcast.firstDeliveryMedianMs)),
    row(`broadcast ${settings.sockets}: server CPU ms per event`, (r) => fixed(r.broadcast.serverCpuMsPerEvent)),
    row(`fan-out ${settings.fanoutSockets}, 2 instances: last delivery p50 / p99 ms`, (r) => `${fixed(r.fanout.lastDelivery.p50Ms)} / ${fixed(r.fanout.lastDelivery.p99Ms)}`),
    row('fan-out: last on A / on B, p50 ms', (r) => Object.values(r.fanout.lastDeliveryByInstance).map((d) => fixed(d.p50Ms)).join(' / ')),
    row('fan-out: every delivery p50 / p99 ms', (r) => `${fixed(r.fanout.deliveries.p50Ms)} / ${fixed(r.fanout.deliveries.p99Ms)}`),
    row('fan-out: REST answer p50 ms', (r) => fixed(r.fanout.restAnswer.p50Ms)),
    row('table.updated payload bytes', (r) => String(r.broadcast.payloadBytes)),
    row('other CPU % (storm, broadcast, fan-out)', (r) => [r.connectStorm, r.broadcast, r.fanout].map((phase) => fixed(phase.otherCpuPercent)).join(', ')),
  ];
  const verdict = (target) => (target.pass === null ? 'SKIPPED' : target.pass ? 'PASS' : 'FAIL');
  const shown = (target) => {
    const failed = target.failed > 0 ? ` (${target.failed} failed)` : '';
    return target.value === null ? `-${failed}` : `${target.value}${target.unit}${failed}`;
  };
  process.stdout.write(
    [
      '',
      `### /realtime: ${settings.sockets} sockets, ${settings.broadcasts} broadcasts, ${settings.fanoutSockets} subscribers on two instances`,
      '',
      `${report.machine.cpuModel}, ${report.machine.cores} cores shared by ${settings.workers} socket client workers (WireSocket), Redis and the servers; node ${report.machine.node}; LOG_LEVEL=${LOG_LEVEL}.`,
      '',
      ...markdownTable(rows),
      '',
      ...report.targets.map((target) => `- ${target.description}: ${shown(target)} (target ${target.limitText}) **${verdict(target)}**`),
      ...Object.entries(report.skipped).map(([what, why]) => `- ${what} skipped: ${why}`),
      ...Object.entries(report.results)
        .filter(([, r]) => r.error)
        .map(([key, r]) => `- ${key} failed: ${r.error}`),
      ...(report.disturbed ? [`- disturbed: other processes used more than ${DISTURBED_PERCENT}% of the CPU during a measured phase; compare with care`] : []),
      ...logSummary(report.logs),
      '',
    ].join('\n'),
  );
}

function logSummary(logs) {
  const noisy = Object.entries(logs).filter(([, log]) => log.lines > 0);
  if (noisy.length === 0) return [`log lines written at LOG_LEVEL=${LOG_LEVEL} during the benchmark: none`];
  return [
    `log lines written at LOG_LEVEL=${LOG_LEVEL} during the benchmark:`,
    ...noisy.flatMap(([name, log]) => [
      `  ${name}: ${log.lines}`,
      ...Object.entries(log.messages).map(([message, count]) => `    ${String(count).padStart(6)} × ${message}`),
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const busyBefore = await announceRun(
    step,
    settings,
    DISTURBED_PERCENT,
    `storm ${settings.stormRatePerSec}/s for ${settings.stormSeconds} s, ${settings.sockets} sockets (${settings.connectConcurrency} connecting at a time), ${settings.broadcasts} broadcasts, ${settings.fanoutSockets} fan-out subscribers × ${settings.fanoutSamples} joins, ${settings.workers} client workers (BENCH_RT_*)`,
  );
  const openFileLimit = checkFileLimit();
  const redisServer = redisServerPath();

  const [bareRedisPort, gatewayRedisPort, bareAPort, bareBPort, gatewayAPort, gatewayBPort, playerPort, tablePort] = await freePorts(8);
  const bareRedisUrl = `redis://127.0.0.1:${bareRedisPort}`;
  const gatewayRedisUrl = `redis://127.0.0.1:${gatewayRedisPort}`;
  step(`starting two redis-servers (bare: ${bareRedisUrl}, gateway: ${gatewayRedisUrl}) and ${settings.workers} socket client workers`);
  // Redis servers of their own: the adapters' pub/sub traffic must not meet other users of a shared
  // one, nor each other (the bare servers would relay the gateways' broadcasts to their own rooms).
  const redisArgs = (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
  const redises = [
    startCommand('redis-server-bare', redisServer, redisArgs(bareRedisPort), {}),
    startCommand('redis-server-gateway', redisServer, redisArgs(gatewayRedisPort), {}),
  ];
  await Promise.all([waitForRedis(redises[0], bareRedisUrl), waitForRedis(redises[1], gatewayRedisUrl)]);
  clients = new SocketClients(settings.workers);
  const calibration = await clients.calibrate();

  const secret = randomBytes(32).toString('hex');
  const casterToken = jwt.sign({ roles: ['player'] }, secret, { subject: CASTER, algorithm: 'HS256', expiresIn: '1h' });
  const env = { NODE_ENV: 'production', LOG_LEVEL, HOST: '127.0.0.1', JWT_SECRET: secret, JWT_CLOCK_TOLERANCE_S: String(JWT_CLOCK_TOLERANCE_S) };
  const started = [...redises];
  const everyonePids = () => [...started.filter((child) => child.alive).map((child) => child.pid), ...clients.pids];
  const skipped = {};
  const instanceOf = (name, child, port) => ({ name, child, base: `http://127.0.0.1:${port}` });
  const targetOf = (key, label, instances) => ({ key, label, instances, secret, casterToken, everyonePids, eventsSinceSubscribe: 0, result: {}, error: undefined });

  // (a) two bare socket.io servers on their Redis.
  step(`starting two bare socket.io servers (:${bareAPort}, :${bareBPort})`);
  const bareEnv = { ...env, REDIS_URL: bareRedisUrl };
  const bare = [
    instanceOf('A', start('bare-socketio-a', 'bench/lib/bare-socketio.mjs', { ...bareEnv, PORT: String(bareAPort) }, { cwd: ROOT }), bareAPort),
    instanceOf('B', start('bare-socketio-b', 'bench/lib/bare-socketio.mjs', { ...bareEnv, PORT: String(bareBPort) }, { cwd: ROOT }), bareBPort),
  ];
  started.push(...bare.map((instance) => instance.child));
  await Promise.all(bare.map((instance) => waitForHttpOk(instance.child, `${instance.base}/health`)));
  const targets = [targetOf('bare', 'bare socket.io', bare)];

  // (b) two gateways on theirs, in front of player-service and table-service.
  if (!existsSync(GATEWAY_MAIN)) {
    skipped.gateway = 'dist/apps/gateway/main.js not found (npm run build)';
  } else {
    const gatewayEnv = { ...env, REDIS_URL: gatewayRedisUrl, PLAYER_SERVICE_URL: `127.0.0.1:${playerPort}`, TABLE_SERVICE_URL: `127.0.0.1:${tablePort}` };
    step(`starting player-service (:${playerPort}), table-service (:${tablePort}) and two gateways (:${gatewayAPort}, :${gatewayBPort})`);
    const player = start('player-service', 'dist/apps/player-service/main.js', gatewayEnv, { cwd: ROOT });
    const table = start('table-service', 'dist/apps/table-service/main.js', gatewayEnv, { cwd: ROOT });
    started.push(player, table);
    await Promise.all([
      waitForGrpcServing(player, gatewayEnv.PLAYER_SERVICE_URL, PLAYER_SERVICE),
      waitForGrpcServing(table, gatewayEnv.TABLE_SERVICE_URL, TABLE_SERVICE),
    ]);
    // The benchmark's single caster would exhaust the default REST limit; it measures delivery without it.
    const gateways = [
      instanceOf('A', start('gateway-a', GATEWAY_MAIN, { ...gatewayEnv, RATE_LIMIT_DEFAULT: 'off', PORT: String(gatewayAPort) }, { cwd: ROOT }), gatewayAPort),
      instanceOf('B', start('gateway-b', GATEWAY_MAIN, { ...gatewayEnv, RATE_LIMIT_DEFAULT: 'off', PORT: String(gatewayBPort) }, { cwd: ROOT }), gatewayBPort),
    ];
    started.push(...gateways.map((instance) => instance.child));
    // Ready means the gateways see both services; only then does a table answer without logging a 503.
    await Promise.all(gateways.map((instance) => waitForHttpOk(instance.child, `${instance.base}/health/ready`)));
    await Promise.all(gateways.map((instance) => waitForHttpOk(instance.child, `${instance.base}/api/v1/tables/${TABLE_ID}`, { authorization: `Bearer ${casterToken}` })));
    const missing = await probeNamespace(gateways[0].base, casterToken);
    if (missing === undefined) targets.push(targetOf('gateway', 'gateway', gateways));
    else {
      skipped.gateway = missing;
      await Promise.all(gateways.map((instance) => stop(instance.child)));
    }
  }
  if (skipped.gateway) step(`gateway: skipped: ${skipped.gateway}`);
  for (const child of started) child.quiet();

  await measure(targets);
  const results = Object.fromEntries(targets.map((target) => [target.key, target.error ? { error: target.error } : target.result]));

  await sleep(250); // let the last log lines arrive
  const logs = Object.fromEntries(started.filter((child) => !redises.includes(child)).map((child) => [child.name, { lines: child.summarised, messages: Object.fromEntries(child.messages) }]));
  const judged = judge(results);
  const measured = Object.values(results).filter((r) => r.connectStorm);
  const report = {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    benchmark: 'socket.io /realtime: memory per socket, connect storm, broadcast, fan-out over two instances through Redis',
    machine: machine(ROOT, ['socket.io', 'socket.io-client', '@socket.io/redis-adapter', 'ioredis']),
    machineBusyPercentBefore: busyBefore,
    loadAverage: { before: loadBefore, after: loadAverage() },
    settings: {
      ...settings,
      logLevel: LOG_LEVEL,
      channel: CHANNEL,
      warmupSockets: WARMUP_SOCKETS,
      warmupFanoutSamples: WARMUP_SAMPLES,
      settleMs: SETTLE_MS,
      openFileLimit,
      clientClockCalibration: calibration,
    },
    skipped,
    results,
    targets: judged,
    /** null while a target could not be measured (the gateway skipped or failed). */
    pass: judged.some((t) => t.pass === null) ? null : judged.every((t) => t.pass),
    logs,
    /** Other processes took a noticeable share of the CPU during a measured phase: compare with care. */
    disturbed: measured.some((r) => [r.connectStorm, r.broadcast, r.fanout].some((phase) => phase.otherCpuPercent > DISTURBED_PERCENT)),
  };
  printReport(report);

  const file = writeResults(RESULTS_DIR, 'realtime', report);
  step(`results written to ${file.slice(ROOT.length)}`);

  const failed = Object.entries(results).filter(([, r]) => r.error);
  if (failed.length > 0) throw new Error(`the measurement failed, the numbers are not valid:\n- ${failed.map(([key, r]) => `${key}: ${r.error}`).join('\n- ')}`);
}

main().then(
  () => finish(0),
  (error) => finish(1, error),
);
