/**
 * Resolved once the app's server accepts connections. What announces the app to others (a registry
 * entry) waits for it, so no client is sent to a port that still refuses: under load a gateway's
 * first calls would fail there and open the new instance's circuit.
 */
export class Listening {
  private markReady!: () => void;
  readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  markListening(): void {
    this.markReady();
  }
}
