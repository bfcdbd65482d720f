import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';

/** Cockatiel learns a verdict through promises; a macrotask later it has acted on all of them. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

function breaker(options: Partial<CircuitBreakerOptions> = {}) {
  let now = 1_000_000;
  const transitions: string[] = [];
  const circuit = new CircuitBreaker(
    { failureThreshold: 3, openMs: 5_000, halfOpenRequests: 1, ...options },
    () => now,
    (from, to) => transitions.push(`${from} -> ${to}`),
  );
  const advance = (ms: number) => (now += ms);
  return { circuit, transitions, advance };
}

async function failCalls(circuit: CircuitBreaker, count: number): Promise<void> {
  for (let call = 0; call < count; call++) circuit.admit()?.fail();
  await settled();
}

async function openCircuit(circuit: CircuitBreaker): Promise<void> {
  await failCalls(circuit, 3);
  expect(circuit.state).toBe('open');
}

describe('CircuitBreaker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits a call synchronously while closed', () => {
    // Pins the cockatiel behaviour acquire() depends on: execute() runs the call function before its first await.
    const { circuit } = breaker();
    expect(circuit.admit()).toBeDefined();
    expect(circuit.state).toBe('closed');
  });

  it('stays closed below the failure threshold, and a success starts the count again', async () => {
    const { circuit } = breaker();
    await failCalls(circuit, 2);
    circuit.admit()?.succeed();
    await failCalls(circuit, 2);
    expect(circuit.state).toBe('closed');
    expect(circuit.admits()).toBe(true);
  });

  it('opens after failureThreshold consecutive failures and refuses calls until openMs has passed', async () => {
    const { circuit, advance } = breaker();
    await openCircuit(circuit);
    expect(circuit.admit()).toBeUndefined();
    advance(4_999);
    expect(circuit.admits()).toBe(false);
    advance(1);
    expect(circuit.admits()).toBe(true);
    // Half-open begins with the first trial call, not with the passing of time.
    expect(circuit.state).toBe('open');
  });

  it('admits trial calls synchronously once open long enough, and refuses beyond halfOpenRequests', async () => {
    const { circuit, advance } = breaker({ halfOpenRequests: 2 });
    await openCircuit(circuit);
    advance(5_000);
    expect(circuit.admit()).toBeDefined();
    expect(circuit.state).toBe('half-open');
    expect(circuit.admit()).toBeDefined();
    expect(circuit.admits()).toBe(false);
    expect(circuit.admit()).toBeUndefined();
  });

  it('closes once every half-open trial has succeeded', async () => {
    const { circuit, transitions, advance } = breaker({ halfOpenRequests: 2 });
    await openCircuit(circuit);
    advance(5_000);
    const trials = [circuit.admit(), circuit.admit()];
    trials[0]?.succeed();
    await settled();
    expect(circuit.state).toBe('half-open');
    trials[1]?.succeed();
    await settled();
    expect(circuit.state).toBe('closed');
    expect(transitions).toEqual(['closed -> open', 'open -> half-open', 'half-open -> closed']);
    // Closed again, the failure count starts from zero.
    await failCalls(circuit, 2);
    expect(circuit.state).toBe('closed');
  });

  it('reopens for another full open period when a half-open trial fails', async () => {
    const { circuit, transitions, advance } = breaker({ halfOpenRequests: 2 });
    await openCircuit(circuit);
    advance(5_000);
    const [first, second] = [circuit.admit(), circuit.admit()];
    second?.succeed();
    first?.fail();
    await settled();
    expect(circuit.state).toBe('open');
    expect(circuit.admits()).toBe(false);
    advance(4_999);
    expect(circuit.admits()).toBe(false);
    advance(1);
    expect(circuit.admits()).toBe(true);
    expect(transitions).toEqual(['closed -> open', 'open -> half-open', 'half-open -> open']);
  });

  it('counts a call released without a verdict as neither success nor failure', async () => {
    const { circuit } = breaker();
    await failCalls(circuit, 2);
    circuit.admit()?.release();
    await settled();
    expect(circuit.state).toBe('closed');
    await failCalls(circuit, 1);
    expect(circuit.state).toBe('open');
  });

  it('reopens when a half-open trial ends without a verdict', async () => {
    const { circuit, advance } = breaker();
    await openCircuit(circuit);
    advance(5_000);
    circuit.admit()?.release();
    await settled();
    expect(circuit.state).toBe('open');
  });

  it('tells when an open circuit starts admitting trial calls', async () => {
    const { circuit, advance } = breaker();
    expect(circuit.reopensAt()).toBeUndefined();
    await openCircuit(circuit);
    const opened = advance(0);
    expect(circuit.reopensAt()).toBe(opened + 5_000);
  });

  it('refuses when cockatiel does, which happens only if the wall clock stepped back since the circuit opened', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T12:00:00Z'));
    const { circuit, advance } = breaker();
    await openCircuit(circuit);
    vi.setSystemTime(new Date('2026-01-01T11:59:00Z'));
    advance(5_000);
    expect(circuit.admit()).toBeUndefined();
    expect(circuit.state).toBe('open');
  });
});
