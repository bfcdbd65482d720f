/** One stored answer, with what serving and revalidating it needs. */
export interface CachedResponse {
  status: number;
  /** End-to-end headers to replay, lowercased; never Set-Cookie, Date, Age or per-request ones. */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  /** Strong, from the body's hash, so every instance computes the same one. */
  etag: string;
  storedAt: number;
  freshUntil: number;
  staleUntil: number;
  /** The versions of the policy's tags when the backend was asked; an invalidation since makes the entry unusable. */
  versions: string;
}

interface Meta {
  s: number;
  h: Record<string, string>;
  e: string;
  t: number;
  f: number;
  x: number;
  v: string;
}

/** One Redis value per entry: a 4-byte length, the metadata as JSON, then the body as is (no base64). */
export function encodeEntry(entry: CachedResponse): Buffer {
  const meta: Meta = { s: entry.status, h: { ...entry.headers }, e: entry.etag, t: entry.storedAt, f: entry.freshUntil, x: entry.staleUntil, v: entry.versions };
  const head = Buffer.from(JSON.stringify(meta));
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(head.length);
  return Buffer.concat([length, head, entry.body]);
}

export function decodeEntry(value: Buffer): CachedResponse | undefined {
  if (value.length < 4) return undefined;
  const headLength = value.readUInt32BE(0);
  if (value.length < 4 + headLength) return undefined;
  const meta = JSON.parse(value.subarray(4, 4 + headLength).toString()) as Meta;
  return {
    status: meta.s,
    headers: meta.h,
    body: value.subarray(4 + headLength),
    etag: meta.e,
    storedAt: meta.t,
    freshUntil: meta.f,
    staleUntil: meta.x,
    versions: meta.v,
  };
}

/** What an entry costs in a memory store: the body plus a rough share for headers and bookkeeping. */
export function entrySize(entry: CachedResponse): number {
  let size = entry.body.length + 128;
  for (const name in entry.headers) size += name.length + (entry.headers[name] as string).length;
  return size;
}
