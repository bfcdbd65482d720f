/** What a steady load saw, request by request. */
export interface LoadReport {
  sent: number;
  ok: number;
  /** Every answer that a user would count as failed: not 200, or 200 with `partial: true`. */
  failures: { at: number; status: number; detail: string }[];
}

export interface SteadyLoad {
  /** Requests answered so far (ok or not). */
  readonly answered: number;
  stop(): Promise<LoadReport>;
}

/**
 * Calls `url` at a steady rate from a fixed pool of workers until stopped, counting failures.
 * The rate is held by scheduling, not by waiting for answers, so a slow answer does not hide load.
 */
export function steadyLoad(url: string, headers: Record<string, string>, requestsPerSecond: number, workers = 16): SteadyLoad {
  const report: LoadReport = { sent: 0, ok: 0, failures: [] };
  const intervalMs = (1000 * workers) / requestsPerSecond;
  let running = true;
  const one = async (): Promise<void> => {
    report.sent++;
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
      const text = await response.text();
      const partial = response.status === 200 && (JSON.parse(text) as { partial?: boolean }).partial === true;
      if (response.status === 200 && !partial) report.ok++;
      else report.failures.push({ at: Date.now(), status: response.status, detail: text.slice(0, 300) });
    } catch (error) {
      report.failures.push({ at: Date.now(), status: 0, detail: (error as Error).message });
    }
  };
  const worker = async (offsetMs: number): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, offsetMs));
    while (running) {
      const next = Date.now() + intervalMs;
      await one();
      const wait = next - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, index) => worker((index * intervalMs) / workers)));
  return {
    get answered() {
      return report.ok + report.failures.length;
    },
    async stop() {
      running = false;
      await done;
      return report;
    },
  };
}
