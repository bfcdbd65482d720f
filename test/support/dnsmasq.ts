import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** The zone tests serve; dnsmasq answers NXDOMAIN for any name in it that no record names. */
export const ZONE = 'portico.test';

const READY_NAME = `ready.${ZONE}`;

/** `--srv-host` (dnsmasq's order: target, port, priority, weight); no target is a "service not offered" record. */
export function srv(name: string, target?: string, port = 0, priority = 0, weight = 0): string {
  return target === undefined ? `srv-host=${name}` : `srv-host=${name},${target},${port},${priority},${weight}`;
}

/** `--host-record`: A and AAAA records for a name. */
export function host(name: string, ...addresses: string[]): string {
  return `host-record=${name},${addresses.join(',')}`;
}

/** `--dns-rr`: any record type with raw data in hex, for answers no well-behaved zone would give. */
export function rawRecord(name: string, type: number, hex: string): string {
  return `dns-rr=${name},${type},${hex}`;
}

/** Whether UDP `port` can be bound on `address` right now (the free-port helper only checks TCP). */
function udpPortFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, address, () => socket.close(() => resolve(true)));
  });
}

async function answers(server: string): Promise<boolean> {
  const resolver = new dns.Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([server]);
  try {
    return (await resolver.resolve4(READY_NAME)).length > 0;
  } catch {
    return false;
  }
}

/**
 * A dnsmasq of the test's own, answering only from the lines given (no upstream, no /etc/hosts).
 * dnsmasq rereads hosts files on SIGHUP but never its configuration file, where `srv-host` lives,
 * so changing records restarts it on the same port.
 */
export class TestDnsmasq {
  private child: ChildProcess | undefined;
  private lines: readonly string[] = [];

  private constructor(
    private readonly directory: string,
    readonly address: string,
    readonly port: number,
  ) {}

  /** Starts on a port free for both UDP and TCP (dnsmasq listens on both) on `address`. */
  static async start(lines: readonly string[], address = '127.0.0.1'): Promise<TestDnsmasq> {
    const directory = await mkdtemp(join(tmpdir(), 'portico-dnsmasq-'));
    const port = await waitFor(async () => {
      const candidate = await freePort();
      return (await udpPortFree(address, candidate)) && candidate;
    }, { timeoutMs: 5_000, description: 'a port free for UDP and TCP' });
    const dnsmasq = new TestDnsmasq(directory, address, port);
    await dnsmasq.serve(lines);
    return dnsmasq;
  }

  /** What `DNS_SERVER` should say to reach this server. */
  get server(): string {
    return this.address.includes(':') ? `[${this.address}]:${this.port}` : `${this.address}:${this.port}`;
  }

  /** Replaces every record and restarts, resolving once the new records are served. */
  async serve(lines: readonly string[]): Promise<void> {
    this.lines = lines;
    await this.stop();
    await this.startProcess();
  }

  /** Starts again with the last records served, after `stop`. */
  async restart(): Promise<void> {
    await this.serve(this.lines);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.directory, { recursive: true, force: true });
  }

  private async startProcess(): Promise<void> {
    const conf = join(this.directory, 'dnsmasq.conf');
    await writeFile(conf, [`local=/${ZONE}/`, host(READY_NAME, '127.0.0.1'), ...this.lines, ''].join('\n'));
    // --no-daemon keeps it in the foreground, writes no pid file and keeps the user id, so it runs as root or not.
    const child = spawn(
      '/usr/sbin/dnsmasq',
      [
        '--no-daemon',
        `--port=${this.port}`,
        `--listen-address=${this.address}`,
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        '--log-facility=-',
        `--conf-file=${conf}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    this.child = child;
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`dnsmasq exited with ${child.exitCode}: ${output.trim()}`);
        return answers(this.server);
      },
      { timeoutMs: 10_000, description: `dnsmasq on ${this.server}` },
    );
  }
}
