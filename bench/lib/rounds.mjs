// Alternating measured rounds of autocannon load against several targets, with the CPU each target,
// its backends and the rest of the machine used. Shared by the scenarios that compare servers or settings.
import autocannon from 'autocannon';
import { roundTotals } from './results.mjs';
import { cpuTimeMs, machineCpuMs, memoryOf, round } from './system.mjs';

/** Above this share of the machine's CPU used by other processes, a run counts as disturbed. */
export const DISTURBED_PERCENT = 5;

/**
 * `target.request` is what autocannon sends: `{ headers }` for one fixed request, or
 * `{ setupRequest(request) }` to vary each one (another user's token, say).
 */
function load(target, durationS, connections) {
  const { headers = {}, setupRequest } = target.request;
  return autocannon({
    url: target.url,
    connections,
    duration: durationS,
    headers,
    ...(setupRequest && { requests: [{ setupRequest }] }),
    renderProgressBar: false,
    renderResultsTable: false,
    renderLatencyTable: false,
  });
}

/** CPU used so far by this process (autocannon included) and every child. */
function ownCpuMs(children) {
  const { user, system } = process.cpuUsage();
  return children.reduce((sum, child) => sum + cpuTimeMs(child.pid), 0) + (user + system) / 1000;
}

async function measureOnce(target, settings, step, backends, everyone) {
  step(`${target.label}: measuring ${settings.durationS} s × ${settings.connections} connections`);
  const watched = [target.child, ...backends];
  const cpuBefore = watched.map((child) => cpuTimeMs(child.pid));
  const machineBefore = machineCpuMs();
  const ownBefore = ownCpuMs(everyone);
  const result = await load(target, settings.durationS, settings.connections);
  const cpuMs = watched.map((child, index) => cpuTimeMs(child.pid) - cpuBefore[index]);
  const machineAfter = machineCpuMs();
  const own = ownCpuMs(everyone) - ownBefore;
  // CPU the machine spent on anything but this benchmark's processes, as a share of all cores.
  const otherCpuPercent = Math.max(
    0,
    round((100 * (machineAfter.busyMs - machineBefore.busyMs - own)) / (machineAfter.totalMs - machineBefore.totalMs), 1),
  );
  return { result, serverCpuMs: cpuMs[0], backendCpuMs: cpuMs.slice(1).reduce((sum, ms) => sum + ms, 0), otherCpuPercent };
}

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** One target's rounds folded into one result: throughput over all rounds, per-round latencies averaged. */
function combine(target, rounds, idle) {
  const totals = roundTotals(rounds);
  const completed = totals.requestsTotal;
  const sum = (pick) => rounds.reduce((total, round) => total + pick(round), 0);
  return {
    requestsPerSecMean: mean(rounds.map((round) => round.result.requests.mean)),
    latencyMeanMs: mean(rounds.map((round) => round.result.latency.mean)),
    latencyP50Ms: mean(rounds.map((round) => round.result.latency.p50)),
    latencyP99Ms: mean(rounds.map((round) => round.result.latency.p99)),
    ...totals,
    ...memoryOf(target.child.pid),
    rssIdleMiB: idle.rssMiB,
    cpuMsPerRequest: completed > 0 ? round(sum((r) => r.serverCpuMs) / completed, 3) : null,
    backendCpuMsPerRequest: completed > 0 ? round(sum((r) => r.backendCpuMs) / completed, 3) : null,
    otherCpuPercent: Math.max(...rounds.map((round) => round.otherCpuPercent)),
  };
}

/**
 * Every target is warmed up before any is measured, then measured in alternating rounds
 * (A B C, C B A, ...): measured one after the other, a later one would meet backends the first had
 * already warmed up, and drift in the machine would land on one side only.
 */
export async function measureAlternating({ targets, settings, step, backends, everyone }) {
  const idle = Object.fromEntries(targets.map((target) => [target.key, memoryOf(target.child.pid)]));
  for (const target of targets) {
    step(`${target.label}: warm-up ${settings.warmupS} s`);
    await load(target, settings.warmupS, settings.connections);
  }
  const rounds = Object.fromEntries(targets.map((target) => [target.key, []]));
  for (let index = 0; index < settings.rounds; index++) {
    const order = index % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const measured = await measureOnce(target, settings, step, backends, everyone);
      rounds[target.key].push(measured);
      if (measured.otherCpuPercent > DISTURBED_PERCENT) {
        step(`warning: other processes used ${measured.otherCpuPercent}% of the machine's CPU during a ${target.label} run; the numbers are skewed`);
      }
    }
  }
  return Object.fromEntries(targets.map((target) => [target.key, combine(target, rounds[target.key], idle[target.key])]));
}

/** The lines of a table whose first column is left-aligned and the rest right-aligned. */
export function tableLines(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '));
}

/** Targets that answered anything but 2xx or failed requests during the measured rounds, one line each. */
export function failedRequestsOf(results) {
  return Object.entries(results)
    .filter(([, r]) => r.non2xx > 0 || r.errors > 0)
    .map(([key, r]) => `${key}: ${r.non2xx} non-2xx, ${r.errors} errors (${r.timeouts} timeouts)`);
}

/** Throws after the report is written: numbers from rounds where requests failed are not valid. */
export function assertNoFailedRequests(failedRequests) {
  if (failedRequests.length > 0) throw new Error(`requests failed during the measurement, the numbers are not valid:\n- ${failedRequests.join('\n- ')}`);
}
