import type { CircuitCall } from './circuit-breaker.js';
import type { TargetState } from './target.js';

/** One call on a target, from admission to its outcome. Only the first of the three methods counts. */
export interface Lease {
  /** The call succeeded (for HTTP: response headers arrived with a status the caller does not count as failure). */
  succeed(): void;
  /** The call failed (connect error, reset, timeout, a 5xx the caller counts as failure). Feeds the breaker. */
  fail(): void;
  /** The call ended without a verdict (client went away, aborted): neither success nor failure. */
  release(): void;
}

/**
 * Starts a call on a target: counts it in flight and takes the circuit's permission, or refuses
 * (undefined) when the circuit does not admit a call right now.
 */
export function startCall(state: TargetState): Lease | undefined {
  const circuit = state.circuit;
  if (circuit === undefined) return new CallLease(state, undefined);
  const call = circuit.admit();
  return call && new CallLease(state, call);
}

class CallLease implements Lease {
  private ended = false;

  constructor(
    private readonly state: TargetState,
    private readonly call: CircuitCall | undefined,
  ) {
    state.inFlight++;
  }

  succeed(): void {
    if (this.end()) this.call?.succeed();
  }

  fail(): void {
    if (this.end()) this.call?.fail();
  }

  release(): void {
    if (this.end()) this.call?.release();
  }

  /** Whether this is the first outcome reported; error paths often report twice (a reset, then a close). */
  private end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.state.inFlight--;
    return true;
  }
}
