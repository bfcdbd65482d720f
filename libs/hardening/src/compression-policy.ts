export interface CompressionPolicy {
  enabled: boolean;
  /** Smaller bodies are sent as they are: compressing them costs more than it saves. */
  thresholdBytes: number;
}

/**
 * Text-like types only. Event streams never: a compressor holds events back until its buffer fills.
 * octet-stream never: it is often already compressed. Types not matched here fall back to mime-db's
 * `compressible` flag, which is false for images, archives, fonts and video.
 */
const COMPRESSIBLE = /^text\/(?!event-stream)|[+/](?:json|xml|text)(?:;|$)|^application\/(?:javascript|ecmascript)(?:;|$)/;

export function isCompressibleType(contentType: string): boolean {
  return COMPRESSIBLE.test(contentType.toLowerCase());
}
