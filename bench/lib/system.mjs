// What the machine and the processes looked like: for the report and the results file.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);

function clockTicksPerSecond() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

const CLOCK_TICKS = clockTicksPerSecond();

/** Resident and peak resident memory of a live process, in MiB, from /proc/<pid>/status. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: round(kib('VmRSS') / 1024, 1), peakRssMiB: round(kib('VmHWM') / 1024, 1) };
}

/** Live child processes of `pid` (nginx's workers under its master), from /proc/<pid>/task/<pid>/children. */
export function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** User + system CPU time a process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuTimeMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the full line)
  return (ticks * 1000) / CLOCK_TICKS;
}

function packageVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return undefined;
  }
}

function gitState(cwd) {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return undefined;
  }
}

export function machine(root, extraPackages = []) {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    git: gitState(root),
    packages: Object.fromEntries(
      ['@nestjs/core', '@nestjs/platform-fastify', 'fastify', '@grpc/grpc-js', 'jsonwebtoken', 'autocannon', ...extraPackages].map((name) => [
        name,
        packageVersion(name),
      ]),
    ),
  };
}

function cpuTotals() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const ticks = fields.map(Number);
  const idle = ticks[3] + (ticks[4] ?? 0); // idle + iowait
  return { idle, total: ticks.reduce((sum, value) => sum + value, 0) };
}

/** Busy and total CPU time of the whole machine so far, in ms summed over all cores, from /proc/stat. */
export function machineCpuMs() {
  const { idle, total } = cpuTotals();
  return { busyMs: ((total - idle) * 1000) / CLOCK_TICKS, totalMs: (total * 1000) / CLOCK_TICKS };
}

/** How busy the whole machine (all cores) was over the next `ms`, in percent: other work skews the results. */
export async function machineBusyPercent(ms = 1_000) {
  const before = cpuTotals();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTotals();
  const total = after.total - before.total;
  return total > 0 ? round((100 * (total - (after.idle - before.idle))) / total, 1) : 0;
}

export const loadAverage = () => os.loadavg().map((load) => round(load, 2));

export function round(value, digits = 2) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Prints the run's settings (`description`, by default the BENCH_* load settings) and how busy the
 * machine is before a scenario starts (warning when other work competes for the cores); returns that
 * busy share for the results file.
 */
export async function announceRun(
  step,
  settings,
  disturbedPercent,
  description = `${settings.rounds} rounds of ${settings.durationS} s, ${settings.connections} connections, ${settings.warmupS} s warm-up (BENCH_ROUNDS, BENCH_DURATION_S, BENCH_CONNECTIONS, BENCH_WARMUP_S)`,
) {
  step(`settings: ${description}`);
  const busyBefore = await machineBusyPercent();
  step(`machine ${busyBefore}% busy before starting`);
  if (busyBefore > 2 * disturbedPercent) step('warning: other work is running on this machine; it competes for the same cores and skews the numbers');
  return busyBefore;
}
