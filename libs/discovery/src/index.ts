export {
  announcedInstance,
  checkDiscovery,
  discoveryFields,
  discoverySettings,
  registrationFields,
  type DiscoveryEnvironment,
  type DiscoverySettings,
  type RegistrationEnvironment,
} from './discovery-config.js';
export {
  DISCOVERY_KINDS,
  type DiscoveryKind,
  type DiscoveryProvider,
  type ProviderWatch,
  type Registrar,
  type WatchSink,
} from './discovery-provider.js';
export { DiscoveryModule } from './discovery.module.js';
export { createProvider } from './providers/create-provider.js';
export { RedisProvider, type RedisProviderOptions } from './providers/redis-provider.js';
export { ServiceDirectory, type DiscoveredPool, type PooledInstance, type ServiceReport } from './service-directory.js';
export { SelfRegistration, type SelfRegistrationOptions } from './self-registration.js';
export {
  ServiceDiscovery,
  type InstancesListener,
  type RegistryState,
  type ServiceDiscoveryOptions,
  type ServiceView,
} from './service-discovery.js';
export { parseEntry, sameInstances, type InstanceValue, type RegistryEntry, type ServiceInstance } from './service-instance.js';
