import { afterEach, describe, expect, it } from 'vitest';
import { onShutdownSignal } from './shutdown-signals.js';

// A signal nothing else in the test process listens to, delivered with process.emit (no real signal is sent).
const SIGNAL = 'SIGUSR2' as const;

function exitCode(): { promise: Promise<number>; exit: (code: number) => void } {
  let exit!: (code: number) => void;
  const promise = new Promise<number>((resolve) => (exit = resolve));
  return { promise, exit };
}

describe('onShutdownSignal', () => {
  afterEach(() => process.removeAllListeners(SIGNAL));

  it('drains once, then exits 0', async () => {
    const { promise, exit } = exitCode();
    let drains = 0;
    onShutdownSignal(() => Promise.resolve(void drains++), { timeoutMs: 1_000, signals: [SIGNAL], exit });
    process.emit(SIGNAL, SIGNAL);
    expect(await promise).toBe(0);
    expect(drains).toBe(1);
  });

  it('exits 1 when the drain fails', async () => {
    const { promise, exit } = exitCode();
    onShutdownSignal(() => Promise.reject(new Error('stuck')), { timeoutMs: 1_000, signals: [SIGNAL], exit });
    process.emit(SIGNAL, SIGNAL);
    expect(await promise).toBe(1);
  });

  it('exits 1 when the drain outlives its timeout', async () => {
    const { promise, exit } = exitCode();
    onShutdownSignal(() => new Promise(() => undefined), { timeoutMs: 20, signals: [SIGNAL], exit });
    process.emit(SIGNAL, SIGNAL);
    expect(await promise).toBe(1);
  });

  it('exits at once on a second signal during the drain', async () => {
    const { promise, exit } = exitCode();
    onShutdownSignal(() => new Promise(() => undefined), { timeoutMs: 10_000, signals: [SIGNAL], exit });
    process.emit(SIGNAL, SIGNAL);
    process.emit(SIGNAL, SIGNAL);
    expect(await promise).toBe(1);
  });
});
