import type { ProviderWatch } from '../discovery-provider.js';

interface ClosableWatch {
  close(): void | Promise<void>;
}

/** A provider's open watches, so closing the provider closes every one its callers left open. */
export class OpenWatches<Watch extends ClosableWatch> {
  private readonly open = new Set<Watch>();

  /** Keeps `watch` until it is closed through the returned handle or by `closeAll`. */
  track(watch: Watch): ProviderWatch {
    this.open.add(watch);
    return {
      close: async () => {
        this.open.delete(watch);
        await watch.close();
      },
    };
  }

  async closeAll(): Promise<void> {
    const watches = [...this.open];
    this.open.clear();
    await Promise.all(watches.map((watch) => Promise.resolve(watch.close())));
  }
}
