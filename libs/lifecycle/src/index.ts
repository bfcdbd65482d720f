export { delay, onShutdownSignal, type ShutdownOptions } from './shutdown-signals.js';
export { Listening } from './listening.js';
