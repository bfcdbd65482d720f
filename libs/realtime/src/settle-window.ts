/**
 * Runs `action` once, `windowMs` after the first of any number of calls to `touch()` within that
 * window: a burst of changes becomes one piece of work. A few lines rather than a debounce library:
 * a debounce keeps moving its deadline while calls go on, so a steady storm would never announce.
 */
export class SettleWindow {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly action: () => void,
  ) {}

  touch(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.action();
    }, this.windowMs);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
