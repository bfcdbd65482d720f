import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * A Kubernetes API server for EndpointSlices only, speaking the wire protocol as the API
 * documentation describes it (https://kubernetes.io/docs/reference/using-api/api-concepts/):
 * - `GET /apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices` answers an `EndpointSliceList`
 *   whose `metadata.resourceVersion` a watch can start from;
 * - with `watch=1` (or `true`) it streams newline-delimited `{"type","object"}` events over a
 *   chunked response: the changes after `resourceVersion`, or, without one (or with "0"),
 *   synthetic ADDED events for what exists, then every change;
 * - `labelSelector` filters both (equality, inequality and existence requirements); a change that
 *   moves an object out of the selector is a DELETED event for that watcher, as on a real server;
 * - `allowWatchBookmarks=true` lets `bookmark()` send BOOKMARK events;
 * - a watch from a resourceVersion older than the last `compact()` is refused with a `Status`
 *   of reason `Expired`, code 410: as an ERROR event in a 200 stream (what the watch cache does)
 *   or as an HTTP 410 answer (`tooOldWatch = 'status'`);
 * - every request needs `Authorization: Bearer <token>`, else 401 with a `Status`.
 * Objects are stored as given: unlike a real server, it does not validate them, so tests can
 * feed malformed slices.
 */
export class FakeKubernetes {
  readonly token = 'fake-kubernetes-token';
  /** Every API request, in order; tests read it to tell a relist from a resumed watch. */
  readonly requests: ApiRequest[] = [];
  tooOldWatch: 'event' | 'status' = 'event';
  private revision = 1;
  private readonly objects = new Map<string, StoredObject>();
  private history: Change[] = [];
  /** Watches from a resourceVersion below this are too old to serve. */
  private compactedAt = 0;
  private readonly watches = new Set<OpenWatch>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<FakeKubernetes> {
    const fake = new FakeKubernetes(await freePort());
    await fake.listen();
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The latest resourceVersion, as a list would report it. */
  get resourceVersion(): string {
    return String(this.revision);
  }

  /** Watch streams open now. */
  get openWatches(): number {
    return this.watches.size;
  }

  /** Writes a kubeconfig (JSON is YAML) naming this server and, unless told otherwise, its token; returns its path. */
  async writeKubeconfig(directory: string, { namespace, token = this.token }: { namespace?: string; token?: string } = {}): Promise<string> {
    const path = join(directory, 'kubeconfig');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      // The client refuses plain http unless TLS verification is explicitly off.
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake', user: { token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', ...(namespace !== undefined && { namespace }) } }],
      'current-context': 'fake',
    };
    await writeFile(path, JSON.stringify(config, null, 2));
    return path;
  }

  /** Creates or replaces an EndpointSlice, as the EndpointSlice controller would. */
  apply(namespace: string, slice: Json): void {
    const name = String(metadataOf(slice)['name']);
    const key = `${namespace}/${name}`;
    const previous = this.objects.get(key);
    const object = this.stamp(namespace, slice, previous?.object);
    this.objects.set(key, { namespace, object });
    this.record({ type: previous ? 'MODIFIED' : 'ADDED', namespace, object, ...(previous && { previous: previous.object }) });
  }

  remove(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const stored = this.objects.get(key);
    if (!stored) return;
    this.objects.delete(key);
    const object = this.stamp(namespace, stored.object, stored.object);
    this.record({ type: 'DELETED', namespace, object, previous: stored.object });
  }

  /** Forgets the change history, as etcd compaction does: watches from before now are too old. */
  compact(): void {
    this.compactedAt = this.revision;
    this.history = [];
  }

  /** Tells open watches their resourceVersion expired (compaction while watching), then ends them. */
  expireWatches(): void {
    for (const watch of this.watches) {
      send(watch.response, { type: 'ERROR', object: expiredStatus(watch.resourceVersion, this.revision) });
      watch.response.end();
    }
  }

  /** Ends open watch streams cleanly, as the server does when a watch's timeout runs out. */
  endWatches(): void {
    for (const watch of this.watches) watch.response.end();
  }

  /** Sends a BOOKMARK at the current resourceVersion to the watches that allow them. */
  bookmark(): void {
    const object = { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', metadata: { resourceVersion: String(this.revision) } };
    for (const watch of this.watches) if (watch.bookmarks) send(watch.response, { type: 'BOOKMARK', object });
  }

  /** Stops answering and drops every connection; the stored objects survive for `restart`. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.watches.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port. */
  restart(): Promise<void> {
    return this.listen();
  }

  private listen(): Promise<void> {
    const server = createServer((request, response) => this.handle(request, response));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  private stamp(namespace: string, slice: Json, previous: Json | undefined): Json {
    this.revision += 1;
    const metadata = metadataOf(slice);
    const before = previous ? metadataOf(previous) : {};
    return {
      ...slice,
      kind: 'EndpointSlice',
      apiVersion: 'discovery.k8s.io/v1',
      metadata: {
        ...metadata,
        namespace,
        uid: before['uid'] ?? `uid-${namespace}-${String(metadata['name'])}`,
        resourceVersion: String(this.revision),
      },
    };
  }

  private record(change: Change): void {
    this.history.push(change);
    for (const watch of this.watches) {
      if (watch.namespace !== change.namespace) continue;
      const event = eventFor(change, watch.selector);
      if (event) send(watch.response, event);
    }
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    const route = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/.exec(url.pathname);
    const watching = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
    const resourceVersion = url.searchParams.get('resourceVersion') ?? undefined;
    this.requests.push({
      verb: watching ? 'watch' : 'list',
      path: url.pathname,
      ...(resourceVersion !== undefined && { resourceVersion }),
      ...(url.searchParams.has('labelSelector') && { labelSelector: url.searchParams.get('labelSelector') ?? '' }),
    });
    if (request.headers.authorization !== `Bearer ${this.token}`) return answer(response, 401, status(401, 'Unauthorized', 'Unauthorized'));
    if (!route?.[1]) return answer(response, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    if (request.method !== 'GET') return answer(response, 405, status(405, 'MethodNotAllowed', 'only GET is served here'));
    const namespace = decodeURIComponent(route[1]);
    const selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
    if (!selector) return answer(response, 400, status(400, 'BadRequest', 'unable to parse requirement: unsupported label selector'));
    if (!watching) return this.list(response, namespace, selector);
    this.watch(request, response, { namespace, selector, resourceVersion, url });
  }

  private list(response: ServerResponse, namespace: string, selector: LabelSelector): void {
    const items = [...this.objects.values()]
      .filter((stored) => stored.namespace === namespace && matches(selector, stored.object))
      // Items of a list carry no kind or apiVersion: the list's own say what they are.
      .map(({ object: { kind: _kind, apiVersion: _apiVersion, ...item } }) => item);
    answer(response, 200, {
      kind: 'EndpointSliceList',
      apiVersion: 'discovery.k8s.io/v1',
      metadata: { resourceVersion: String(this.revision) },
      items,
    });
  }

  private watch(
    request: IncomingMessage,
    response: ServerResponse,
    { namespace, selector, resourceVersion, url }: { namespace: string; selector: LabelSelector; resourceVersion: string | undefined; url: URL },
  ): void {
    const from = resourceVersion === undefined || resourceVersion === '' || resourceVersion === '0' ? undefined : Number(resourceVersion);
    const tooOld = from !== undefined && (!Number.isInteger(from) || from < this.compactedAt);
    if (tooOld && this.tooOldWatch === 'status') return answer(response, 410, expiredStatus(resourceVersion, this.revision));
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    response.flushHeaders();
    if (tooOld) {
      send(response, { type: 'ERROR', object: expiredStatus(resourceVersion, this.revision) });
      response.end();
      return;
    }
    if (from === undefined) {
      for (const stored of this.objects.values()) {
        if (stored.namespace === namespace && matches(selector, stored.object)) send(response, { type: 'ADDED', object: stored.object });
      }
    } else {
      for (const change of this.history) {
        if (change.namespace !== namespace || Number(metadataOf(change.object)['resourceVersion']) <= from) continue;
        const event = eventFor(change, selector);
        if (event) send(response, event);
      }
    }
    const watch: OpenWatch = {
      namespace,
      selector,
      resourceVersion,
      bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
      response,
    };
    this.watches.add(watch);
    const forget = () => this.watches.delete(watch);
    response.on('close', forget);
    request.on('close', forget);
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds'));
    if (timeoutSeconds > 0) setTimeout(() => response.end(), timeoutSeconds * 1_000).unref();
  }
}

export interface ApiRequest {
  verb: 'list' | 'watch';
  path: string;
  resourceVersion?: string;
  labelSelector?: string;
}

export type Json = Record<string, unknown>;

interface StoredObject {
  namespace: string;
  object: Json;
}

interface Change {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  namespace: string;
  object: Json;
  /** The object before this change, to tell a watcher whose selector it left. */
  previous?: Json;
}

interface OpenWatch {
  namespace: string;
  selector: LabelSelector;
  resourceVersion: string | undefined;
  bookmarks: boolean;
  response: ServerResponse;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Json;
}

type Requirement = { key: string; operator: 'equals' | 'not-equals'; value: string } | { key: string; operator: 'exists' | 'not-exists' };
type LabelSelector = Requirement[];

/** The equality-based and existence requirements of the label selector syntax; `undefined` for anything else. */
function parseSelector(text: string): LabelSelector | undefined {
  const requirements: LabelSelector = [];
  for (const part of text.split(',').map((piece) => piece.trim()).filter((piece) => piece.length > 0)) {
    const comparison = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part);
    const existence = /^(!?)([\w./-]+)$/.exec(part);
    if (comparison?.[1] !== undefined && comparison[3] !== undefined) {
      requirements.push({ key: comparison[1], operator: comparison[2] === '!=' ? 'not-equals' : 'equals', value: comparison[3] });
    } else if (existence?.[2] !== undefined) {
      requirements.push({ key: existence[2], operator: existence[1] === '!' ? 'not-exists' : 'exists' });
    } else {
      return undefined;
    }
  }
  return requirements;
}

function matches(selector: LabelSelector, object: Json): boolean {
  const labels = (metadataOf(object)['labels'] ?? {}) as Record<string, string>;
  return selector.every((requirement) => {
    const value = labels[requirement.key];
    switch (requirement.operator) {
      case 'equals':
        return value === requirement.value;
      case 'not-equals':
        return value !== requirement.value;
      case 'exists':
        return value !== undefined;
      case 'not-exists':
        return value === undefined;
    }
  });
}

/** What a watcher with this selector hears of a change, if anything. */
function eventFor(change: Change, selector: LabelSelector): WatchEvent | undefined {
  const now = change.type !== 'DELETED' && matches(selector, change.object);
  const before = change.previous !== undefined && matches(selector, change.previous);
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: change.object };
  return before ? { type: 'DELETED', object: change.object } : undefined;
}

function metadataOf(object: Json): Json {
  return (object['metadata'] ?? {}) as Json;
}

function status(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function expiredStatus(requested: string | undefined, current: number): Json {
  return status(410, 'Expired', `too old resource version: ${requested ?? ''} (${current})`);
}

function answer(response: ServerResponse, code: number, body: Json): void {
  response.writeHead(code, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

function send(response: ServerResponse, event: WatchEvent): void {
  response.write(`${JSON.stringify(event)}\n`);
}

/** An EndpointSlice of `service` as the EndpointSlice controller writes one. */
export function endpointSlice(
  service: string,
  name: string,
  { addressType = 'IPv4', ports = [{ name: 'grpc', port: 50051, protocol: 'TCP' }], endpoints }: { addressType?: string; ports?: Json[]; endpoints: Json[] },
): Json {
  return {
    metadata: { name, labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType,
    ports,
    endpoints,
  };
}

/** One endpoint of a slice; `conditions` default to what a ready pod shows. */
export function endpoint(address: string, { conditions, zone, nodeName }: { conditions?: Json; zone?: string; nodeName?: string } = {}): Json {
  return {
    addresses: [address],
    conditions: conditions ?? { ready: true, serving: true, terminating: false },
    ...(zone !== undefined && { zone }),
    ...(nodeName !== undefined && { nodeName }),
    targetRef: { kind: 'Pod', name: `pod-${address.replaceAll(/[.:]/g, '-')}` },
  };
}
