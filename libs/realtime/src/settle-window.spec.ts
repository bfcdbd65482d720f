import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SettleWindow } from './settle-window.js';

describe('SettleWindow', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs once per window however many changes arrive in it', () => {
    const action = vi.fn();
    const window = new SettleWindow(100, action);
    for (let change = 0; change < 1_000; change++) window.touch();
    vi.advanceTimersByTime(99);
    expect(action).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(action).toHaveBeenCalledTimes(1);
  });

  it('keeps announcing through a steady stream of changes, once per window', () => {
    const action = vi.fn();
    const window = new SettleWindow(100, action);
    for (let ms = 0; ms < 1_000; ms += 10) {
      window.touch();
      vi.advanceTimersByTime(10);
    }
    expect(action).toHaveBeenCalledTimes(10);
  });

  it('runs nothing once cancelled', () => {
    const action = vi.fn();
    const window = new SettleWindow(100, action);
    window.touch();
    window.cancel();
    vi.advanceTimersByTime(1_000);
    expect(action).not.toHaveBeenCalled();
  });
});
