import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhenResult,
  type CircuitBreakerPolicy,
} from 'cockatiel';

export interface CircuitBreakerOptions {
  /** Consecutive failed calls that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before it lets trial calls through (half-open). */
  openMs: number;
  /** Trial calls admitted while half-open; all of them must succeed to close the circuit, any failure reopens it. */
  halfOpenRequests: number;
}

export type CircuitStateName = 'closed' | 'open' | 'half-open';

/** The verdict of one call, as the breaker counts it. */
export interface CircuitCall {
  succeed(): void;
  fail(): void;
  /** The call ended without a verdict, e.g. the client went away. */
  release(): void;
}

type Verdict = 'success' | 'failure';

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  // Never entered here (nothing calls isolate()); a circuit held open is open.
  [CircuitState.Isolated]: 'open',
};

/** Rejecting with an error cockatiel does not handle is its only way to finish a call without counting it. */
const WITHOUT_VERDICT = new Error('the call ended without a verdict');

/**
 * One target's circuit breaker: cockatiel's state machine, failure counting and half-open sampling,
 * driven by call verdicts instead of by wrapping the call itself, because the transport (undici,
 * gRPC) runs the call and reports how it went.
 *
 * It is also the pool's passive outlier ejection: a target that fails `failureThreshold` calls in a
 * row is taken out of balancing for `openMs`, then eased back in with `halfOpenRequests` trials.
 *
 * Cockatiel measures the open period with `Date.now()`, which an injected clock cannot reach. So
 * cockatiel gets `halfOpenAfter: 0` and this class refuses calls until `openMs` has passed on the
 * pool's clock; the first call admitted after that is the one that moves cockatiel to half-open.
 * For the same reason, and because cockatiel queues extra half-open calls until the trials decide
 * instead of refusing them, admission is decided here, synchronously, before cockatiel sees a call.
 */
export class CircuitBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private current: CircuitStateName = 'closed';
  private openedAt = 0;
  /** Mirrors cockatiel's count of calls admitted in this half-open period, which it does not expose. */
  private trials = 0;

  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly clock: () => number,
    onTransition: (from: CircuitStateName, to: CircuitStateName) => void,
  ) {
    this.policy = circuitBreaker(
      handleWhenResult((verdict) => verdict === 'failure'),
      {
        halfOpenAfter: 0,
        breaker: new ConsecutiveBreaker(options.failureThreshold),
        halfOpenSampling: { calls: options.halfOpenRequests, threshold: 0 },
      },
    );
    this.policy.onStateChange((state) => {
      const to = STATE_NAMES[state];
      if (to === 'open') this.openedAt = clock();
      if (to === 'half-open') this.trials = 0;
      const from = this.current;
      this.current = to;
      onTransition(from, to);
    });
  }

  get state(): CircuitStateName {
    return this.current;
  }

  /** Whether a call would be admitted now; no side effects. */
  admits(): boolean {
    switch (this.current) {
      case 'closed':
        return true;
      case 'open':
        return this.clock() - this.openedAt >= this.options.openMs;
      case 'half-open':
        return this.trials < this.options.halfOpenRequests;
    }
  }

  /** When an open circuit starts admitting trial calls, on the pool's clock; undefined unless open. */
  reopensAt(): number | undefined {
    return this.current === 'open' ? this.openedAt + this.options.openMs : undefined;
  }

  /** Admits one call now, or refuses it (undefined). Synchronous: cockatiel runs the call function before its first await. */
  admit(): CircuitCall | undefined {
    if (!this.admits()) return undefined;
    let admitted = false;
    let decide!: (verdict: Verdict) => void;
    let abandon!: (reason: Error) => void;
    const verdict = new Promise<Verdict>((resolve, reject) => {
      decide = resolve;
      abandon = reject;
    });
    // The caller already knows how its call went; what cockatiel hands back is of no further use.
    this.policy
      .execute(() => {
        admitted = true;
        return verdict;
      })
      .catch(() => undefined);
    // Cockatiel still refuses if the wall clock stepped back since the circuit opened (its open
    // period is 0, but measured with Date.now()).
    if (!admitted) return undefined;
    const trial = this.current === 'half-open';
    if (trial) this.trials++;
    return {
      succeed: () => decide('success'),
      fail: () => decide('failure'),
      // Cockatiel has no neutral outcome for a half-open trial (an unhandled error counts as a
      // success), and a trial nobody finished proves nothing about recovery: it reopens the circuit.
      release: () => (trial ? decide('failure') : abandon(WITHOUT_VERDICT)),
    };
  }
}
