import { stat } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthCheck, type HealthProbe } from './health-check.js';
import { targetAt } from './testing/targets.js';

const options = { intervalMs: 1_000, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 3 };

/** A probe that answers from `answers` in order (true once they run out), counting its calls. */
function scripted(...answers: (boolean | Error)[]) {
  const probe = vi.fn<HealthProbe>(() => {
    const answer = answers.shift() ?? true;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  });
  return probe;
}

function checking(probe: HealthProbe) {
  const verdicts: string[] = [];
  const target = targetAt('10.0.0.1:8080');
  const check = new HealthCheck({ ...options, probe }, () => target, (health) => verdicts.push(health));
  return { check, verdicts, target };
}

describe('HealthCheck', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('probes right away, then intervalMs after each probe', async () => {
    const probe = scripted();
    const { check, target } = checking(probe);
    check.start();
    expect(probe).toHaveBeenCalledTimes(1);
    expect(probe).toHaveBeenLastCalledWith(target, expect.any(AbortSignal));
    await vi.advanceTimersByTimeAsync(999);
    expect(probe).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(probe).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(probe).toHaveBeenCalledTimes(5);
    check.stop();
  });

  it('judges a target unhealthy after unhealthyThreshold consecutive failures, counting a throw as a failure', async () => {
    const { check, verdicts } = checking(scripted(false, false, true, false, new Error('connection refused'), false));
    check.start();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(verdicts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(verdicts).toEqual(['unhealthy']);
    check.stop();
  });

  it('judges a target healthy after healthyThreshold consecutive successes', async () => {
    const { check, verdicts } = checking(scripted(true, false, true));
    check.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(verdicts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(verdicts).toEqual(['healthy']);
    check.stop();
  });

  it('counts a probe that does not answer within timeoutMs as failed, and aborts it', async () => {
    const signals: AbortSignal[] = [];
    const hanging: HealthProbe = (_, signal) => {
      signals.push(signal);
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    };
    const { check, verdicts } = checking(hanging);
    check.start();
    await vi.advanceTimersByTimeAsync(199);
    expect(signals[0]?.aborted).toBe(false);
    // The abort comes one turn of the loop (1 ms) after the timeout, for answers that arrived meanwhile.
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(2_402);
    expect(signals).toHaveLength(3);
    expect(verdicts).toEqual(['unhealthy']);
    check.stop();
  });

  it('never overlaps probes, even when one ignores its signal; the ticks it holds up count as failures', async () => {
    const stubborn = vi.fn<HealthProbe>(() => new Promise(() => undefined));
    const { check, verdicts } = checking(stubborn);
    check.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stubborn).toHaveBeenCalledTimes(1);
    expect(verdicts[0]).toBe('unhealthy');
    check.stop();
  });

  it('stops for good: aborts the probe in progress and gives no verdict after it', async () => {
    let signal: AbortSignal | undefined;
    const probe = vi.fn<HealthProbe>((_, given) => {
      signal = given;
      return new Promise(() => undefined);
    });
    const { check, verdicts } = checking(probe);
    check.start();
    check.stop();
    expect(signal?.aborted).toBe(true);
    check.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(verdicts).toEqual([]);
  });
});

describe('HealthCheck timers', () => {
  it('do not keep the process alive', () => {
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    const { check } = checking(() => new Promise(() => undefined));
    check.start();
    expect(timers()).toBe(before);
    check.stop();
  });
});

describe('HealthCheck on a blocked event loop', () => {
  it('reads an answer that arrived while the loop was blocked before judging the probe timed out', async () => {
    const verdicts: string[] = [];
    // A real I/O answer: it completes in the thread pool while the loop below is blocked.
    const probe: HealthProbe = () => new Promise((resolve) => stat(process.execPath, () => resolve(true)));
    const check = new HealthCheck(
      { intervalMs: 60_000, timeoutMs: 20, healthyThreshold: 1, unhealthyThreshold: 1, probe },
      () => targetAt('10.0.0.1:8080'),
      (health) => verdicts.push(health),
    );
    check.start();
    const blockedUntil = Date.now() + 100;
    while (Date.now() < blockedUntil);
    for (let waited = 0; verdicts.length === 0 && waited < 2_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    check.stop();
    expect(verdicts).toEqual(['healthy']);
  });
});
