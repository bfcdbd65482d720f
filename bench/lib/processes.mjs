// Child processes of the benchmark: started once, watched, and always stopped on the way out.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const ECHOED_LINES_PER_CHILD = 20;
const KEPT_LINES_PER_CHILD = 50;
const SUMMARISED_LINES_PER_CHILD = 1_000;
const STOP_GRACE_MS = 3_000;

/** Every child started through start(); stopAll() and the process 'exit' hook work through this list. */
const children = [];
let stopping = false;
let onUnexpectedExit = () => undefined;

/** Called with (child, code, signal) when a child exits while the benchmark still needs it. */
export function whenAChildDies(handler) {
  onUnexpectedExit = handler;
}

/**
 * Starts `node <script>` with the given environment. Output is read continuously (a full pipe
 * would stall the child): while starting up the first lines are echoed with a prefix; once
 * quiet() is called lines are only counted and summarised by their pino `msg`. The last lines
 * are always kept, to show when the child dies.
 */
export function start(name, script, env, { cwd, nodeArgs = [] } = {}) {
  const proc = spawn(process.execPath, [...nodeArgs, script], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = {
    name,
    process: proc,
    pid: proc.pid,
    alive: true,
    outputLines: 0,
    lastLines: [],
    echo: true,
    /** pino `msg` (or the raw line) → count, for lines written after quiet(). */
    messages: new Map(),
    summarised: 0,
    exited: null,
    quiet() {
      child.echo = false;
    },
  };
  child.exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      child.alive = false;
      resolve({ code, signal });
      if (!stopping) onUnexpectedExit(child, code, signal);
    });
  });
  proc.once('error', (error) => {
    child.lastLines.push(`spawn error: ${error.message}`);
  });
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      child.outputLines += 1;
      child.lastLines.push(line);
      if (child.lastLines.length > KEPT_LINES_PER_CHILD) child.lastLines.shift();
      if (!child.echo) summarise(child, line);
      else if (child.outputLines <= ECHOED_LINES_PER_CHILD) process.stderr.write(`  [${name}] ${line}\n`);
      else if (child.outputLines === ECHOED_LINES_PER_CHILD + 1) {
        process.stderr.write(`  [${name}] (further start-up output not echoed)\n`);
      }
    });
  }
  children.push(child);
  return child;
}

function summarise(child, line) {
  let key = '(further lines, not read)';
  if (++child.summarised <= SUMMARISED_LINES_PER_CHILD) {
    try {
      const entry = JSON.parse(line);
      key = `${entry.level >= 50 ? 'error' : entry.level >= 40 ? 'warn' : `level ${entry.level}`}: ${entry.msg}`;
    } catch {
      key = line.slice(0, 200);
    }
  }
  child.messages.set(key, (child.messages.get(key) ?? 0) + 1);
}

/** SIGTERM to every live child (their graceful drain), SIGKILL to whatever is left after a grace period. */
export async function stopAll() {
  stopping = true;
  const alive = children.filter((child) => child.alive);
  for (const child of alive) child.process.kill('SIGTERM');
  const timeout = new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
  await Promise.race([Promise.all(alive.map((child) => child.exited)), timeout]);
  for (const child of alive) if (child.alive) child.process.kill('SIGKILL');
}

export function markStopping() {
  stopping = true;
}

// Last line of defence, whatever path the process takes out: nothing outlives the benchmark.
process.on('exit', () => {
  for (const child of children) if (child.alive) child.process.kill('SIGKILL');
});
