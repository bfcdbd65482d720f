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
  return startCommand(name, process.execPath, [...nodeArgs, script], env, { cwd });
}

/**
 * start() for any executable. With `group`, the child leads its own process group and every signal
 * goes to the whole group: a master process (nginx) must not leave its workers behind when it is
 * SIGKILLed.
 */
export function startCommand(name, command, args, env, { cwd, group = false } = {}) {
  const proc = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
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
    /** Set by stop(): this child's exit is expected even while the benchmark goes on. */
    stopRequested: false,
    quiet() {
      child.echo = false;
    },
    signal(name) {
      try {
        if (group) process.kill(-proc.pid, name);
        else proc.kill(name);
      } catch {
        // Already gone.
      }
    },
  };
  child.exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      child.alive = false;
      resolve({ code, signal });
      if (!stopping && !child.stopRequested) onUnexpectedExit(child, code, signal);
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
  await Promise.all(children.filter((child) => child.alive).map(stop));
}

/** Stops one child the same way, while the others go on. */
export async function stop(child) {
  child.stopRequested = true;
  if (!child.alive) return;
  child.signal('SIGTERM');
  const timeout = new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
  await Promise.race([child.exited, timeout]);
  if (child.alive) child.signal('SIGKILL');
}

export function markStopping() {
  stopping = true;
}

// Last line of defence, whatever path the process takes out: nothing outlives the benchmark.
process.on('exit', () => {
  for (const child of children) if (child.alive) child.signal('SIGKILL');
});

/**
 * Every way a benchmark script can end (done, a child dying, Ctrl-C, an uncaught error) goes through
 * the returned `finish(code, error?)`: it stops the children, runs `cleanup`, and exits once.
 */
export function exitPaths(cleanup = () => {}) {
  let finishing = false;
  async function finish(code, error) {
    if (finishing) return;
    finishing = true;
    markStopping();
    if (error) process.stderr.write(`\nbench failed: ${error instanceof Error ? error.stack : error}\n`);
    await stopAll();
    cleanup();
    process.exit(code);
  }
  whenAChildDies((child, code, signal) => {
    const output = child.lastLines.length > 0 ? `\n  last output:\n    ${child.lastLines.join('\n    ')}` : '';
    void finish(1, `${child.name} (pid ${child.pid}) exited unexpectedly with ${signal ?? `code ${code}`}${output}`);
  });
  process.once('SIGINT', () => void finish(130, 'interrupted (SIGINT)'));
  process.once('SIGTERM', () => void finish(143, 'terminated (SIGTERM)'));
  process.on('uncaughtException', (error) => void finish(1, error));
  process.on('unhandledRejection', (error) => void finish(1, error));
  return finish;
}
