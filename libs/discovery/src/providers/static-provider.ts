import type { DiscoveryProvider, ProviderWatch, WatchSink } from '../discovery-provider.js';

/**
 * Fixed addresses from configuration (`PLAYER_SERVICE_URL=10.0.0.1:50051,10.0.0.2:50051`): the
 * list never changes, health checks and breakers still take dead ones out.
 */
export class StaticProvider implements DiscoveryProvider {
  readonly kind = 'static';

  constructor(private readonly addresses: Readonly<Record<string, readonly string[]>>) {}

  watch(service: string, sink: WatchSink): ProviderWatch {
    const addresses = this.addresses[service];
    queueMicrotask(() => {
      if (addresses === undefined) sink.unreachable(new Error(`no address configured for ${service}`));
      else sink.update(addresses.map((address) => ({ id: address, value: { address } })));
    });
    return { close: () => undefined };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
