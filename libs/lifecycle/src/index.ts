export { delay, onShutdownSignal, type ShutdownOptions } from './shutdown-signals.js';
