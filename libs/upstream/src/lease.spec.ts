import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';
import { startCall, type Lease } from './lease.js';
import { TargetState } from './target.js';

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

const oneFailureOpens = () =>
  new CircuitBreaker({ failureThreshold: 1, openMs: 1_000, halfOpenRequests: 1 }, () => 0, () => undefined);

describe('startCall', () => {
  it('counts the call in flight until its outcome', () => {
    const state = new TargetState(undefined);
    const leases = [startCall(state), startCall(state)];
    expect(state.inFlight).toBe(2);
    leases[0]?.succeed();
    expect(state.inFlight).toBe(1);
  });

  it.each<[string, (lease: Lease) => void]>([
    ['succeed', (lease) => lease.succeed()],
    ['fail', (lease) => lease.fail()],
    ['release', (lease) => lease.release()],
  ])('ends the call on %s, and only the first outcome counts', (_, end) => {
    const state = new TargetState(undefined);
    const lease = startCall(state);
    startCall(state);
    if (lease === undefined) throw new Error('no circuit, so the call is always admitted');
    end(lease);
    lease.succeed();
    lease.fail();
    lease.release();
    expect(state.inFlight).toBe(1);
  });

  it('reports only the first outcome to the circuit', async () => {
    const state = new TargetState(oneFailureOpens());
    const lease = startCall(state);
    lease?.succeed();
    lease?.fail();
    await settled();
    expect(state.circuit?.state).toBe('closed');
  });

  it('feeds failures to the circuit and starts nothing while it refuses', async () => {
    const state = new TargetState(oneFailureOpens());
    startCall(state)?.fail();
    await settled();
    expect(startCall(state)).toBeUndefined();
    expect(state.inFlight).toBe(0);
  });
});
