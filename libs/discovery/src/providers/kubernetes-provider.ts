import { DiscoveryV1Api, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { DiscoveryProvider, ProviderWatch, WatchSink } from '../discovery-provider.js';
import { EndpointSliceWatch } from './endpoint-slice-watch.js';
import { OpenWatches } from './open-watches.js';

export interface KubernetesProviderOptions {
  /** The API server and credentials (`loadKubeConfig`). */
  kubeConfig: KubeConfig;
  /** Where the Services live; one gateway watches one namespace. */
  namespace: string;
  /** The EndpointSlice port to dial; by default the one named `grpc`, else the first. */
  portName?: string | undefined;
  /** Waits between attempts while the API server cannot be read, doubling from `initialMs` up to `maxMs`. */
  retry?: { initialMs: number; maxMs: number };
}

/**
 * Instances from the EndpointSlices Kubernetes keeps for each Service (selected by the label
 * `kubernetes.io/service-name`): pods register by becoming ready, so there is no registrar.
 */
export class KubernetesProvider implements DiscoveryProvider {
  readonly kind = 'kubernetes';
  private readonly api: DiscoveryV1Api;
  private readonly watcher: Watch;
  private readonly watches = new OpenWatches<EndpointSliceWatch>();

  constructor(private readonly options: KubernetesProviderOptions) {
    this.api = options.kubeConfig.makeApiClient(DiscoveryV1Api);
    this.watcher = new Watch(options.kubeConfig);
  }

  watch(service: string, sink: WatchSink): ProviderWatch {
    const watch = new EndpointSliceWatch(
      {
        api: this.api,
        watcher: this.watcher,
        namespace: this.options.namespace,
        service,
        portName: this.options.portName,
        retry: this.options.retry ?? { initialMs: 500, maxMs: 15_000 },
      },
      sink,
    );
    watch.start();
    return this.watches.track(watch);
  }

  close(): Promise<void> {
    return this.watches.closeAll();
  }
}
