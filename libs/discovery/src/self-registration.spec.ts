import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Registrar } from './discovery-provider.js';
import { SelfRegistration } from './self-registration.js';
import type { ServiceInstance } from './service-instance.js';

const instance: ServiceInstance = { id: 'i-1', service: 'svc', address: 'h:1', weight: 1, metadata: {} };

/** Records calls; `failing` makes announce reject, `hang` makes withdraw never answer. */
class RecordingRegistrar implements Registrar {
  calls: string[] = [];
  failing = false;
  hang = false;

  announce(_instance: ServiceInstance, ttlMs: number): Promise<void> {
    this.calls.push(`announce ${ttlMs}`);
    return this.failing ? Promise.reject(new Error('registry down')) : Promise.resolve();
  }

  withdraw(): Promise<void> {
    this.calls.push('withdraw');
    return this.hang ? new Promise(() => undefined) : Promise.resolve();
  }
}

describe('SelfRegistration', () => {
  let warn: { mock: { calls: unknown[][] } };
  let log: { mock: { calls: unknown[][] } };

  beforeEach(() => {
    vi.useFakeTimers();
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('announces at start and every third of the TTL', async () => {
    const registrar = new RecordingRegistrar();
    const registration = new SelfRegistration(registrar, instance, { ttlMs: 3_000 });
    await registration.start();
    await vi.advanceTimersByTimeAsync(2_999);
    expect(registrar.calls).toEqual(['announce 3000', 'announce 3000', 'announce 3000']);
    await registration.stop();
  });

  it('keeps trying through a registry outage, logging the failure and the recovery once each', async () => {
    const registrar = new RecordingRegistrar();
    registrar.failing = true;
    const registration = new SelfRegistration(registrar, instance, { ttlMs: 3_000 });
    await registration.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(registrar.calls).toHaveLength(4);
    expect(warn).toHaveBeenCalledTimes(1);
    registrar.failing = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log.mock.calls.map(([, message]) => message)).toContain('registry reachable again; instance registered');
    await registration.stop();
  });

  it('stop ends the heartbeats and withdraws once', async () => {
    const registrar = new RecordingRegistrar();
    const registration = new SelfRegistration(registrar, instance, { ttlMs: 3_000 });
    await registration.start();
    await registration.stop();
    await registration.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(registrar.calls).toEqual(['announce 3000', 'withdraw']);
  });

  it('a withdrawal the registry never answers gives up after its timeout instead of holding shutdown', async () => {
    const registrar = new RecordingRegistrar();
    registrar.hang = true;
    const registration = new SelfRegistration(registrar, instance, { ttlMs: 3_000, withdrawTimeoutMs: 500 });
    await registration.start();
    const stopped = registration.stop();
    await vi.advanceTimersByTimeAsync(500);
    await stopped;
    expect(warn.mock.calls.map(([, message]) => message)).toContain('could not deregister; the entry expires with its TTL');
  });

  it('stop before start withdraws nothing', async () => {
    const registrar = new RecordingRegistrar();
    await new SelfRegistration(registrar, instance, { ttlMs: 3_000 }).stop();
    expect(registrar.calls).toEqual([]);
  });
});
