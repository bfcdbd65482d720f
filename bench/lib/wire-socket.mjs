// A socket.io client for the benchmark that speaks the wire protocol itself: the WebSocket upgrade
// on a plain TCP socket, RFC 6455 frames, and the engine.io v4 / socket.io v5 packets the realtime
// scenario uses (open, ping/pong, namespace CONNECT with auth, events, acks). socket.io-client (and
// even `ws`) spend more CPU per connect than the server under test; on a two-core machine the
// clients' share of the CPU then decides the storm's latency, not the server. This one costs a
// fraction of that, so what the benchmark reads is the server. It handles only what the benchmark
// needs: text frames of the server's (never fragmented by engine.io), no binary, no reconnection.
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEADER_END = Buffer.from('\r\n\r\n');
const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;

/** One client frame: FIN, the opcode, masked as RFC 6455 requires of a client. */
function frame(opcode, payload) {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLength + 4 + length);
  out[0] = 0x80 | opcode;
  if (length < 126) out[1] = 0x80 | length;
  else if (length < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, headerLength);
  for (let index = 0; index < length; index++) out[headerLength + 4 + index] = payload[index] ^ mask[index & 3];
  return out;
}

/**
 * Events: 'connect' once the namespace accepted the handshake; 'connect_error' (Error) when the
 * upgrade or the namespace refused it, or the connection failed first; 'event' (name, data) for every
 * server event; 'close' when the TCP connection ended.
 */
export class WireSocket extends EventEmitter {
  constructor(url, { auth = {}, timeoutMs = 20_000 } = {}) {
    super();
    const { hostname, port, pathname } = new URL(url);
    this.namespace = pathname;
    this.auth = auth;
    this.connected = false;
    this.nextAckId = 0;
    this.acks = new Map();
    this.buffer = Buffer.alloc(0);
    this.upgraded = false;
    this.key = randomBytes(16).toString('base64');
    this.timer = setTimeout(() => this.fail(new Error(`no connect within ${timeoutMs} ms`)), timeoutMs);
    this.socket = connect({ host: hostname, port: Number(port), noDelay: true });
    this.socket.on('connect', () =>
      this.socket.write(
        `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${this.key}\r\n\r\n`,
      ),
    );
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => {
      clearTimeout(this.timer);
      if (!this.connected) this.fail(new Error('connection closed before connect'));
      this.connected = false;
      for (const { reject } of this.acks.values()) reject(new Error('connection closed'));
      this.acks.clear();
      this.emit('close');
    });
  }

  fail(error) {
    if (this.connected || this.failed) return;
    this.failed = true;
    clearTimeout(this.timer);
    this.socket.destroy();
    this.emit('connect_error', error);
  }

  onData(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (!this.upgraded) {
      const end = this.buffer.indexOf(HEADER_END);
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString('latin1');
      this.buffer = this.buffer.subarray(end + HEADER_END.length);
      const accept = createHash('sha1').update(this.key + WS_GUID).digest('base64');
      if (!head.startsWith('HTTP/1.1 101') || !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
        return this.fail(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
      }
      this.upgraded = true;
    }
    while (this.buffer.length >= 2) {
      const opcode = this.buffer[0] & 0x0f;
      let length = this.buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      const payload = this.buffer.subarray(offset, offset + length);
      this.buffer = this.buffer.subarray(offset + length);
      if (opcode === OPCODE_TEXT) this.onPacket(payload.toString('utf8'));
      else if (opcode === OPCODE_PING) this.socket.write(frame(OPCODE_PONG, payload));
      else if (opcode === OPCODE_CLOSE) this.socket.end();
    }
  }

  send(text) {
    this.socket.write(frame(OPCODE_TEXT, Buffer.from(text)));
  }

  /** One engine.io packet: 0 open, 2 ping, 4 message (carrying a socket.io packet). */
  onPacket(packet) {
    if (packet[0] === '0') this.send(`40${this.namespace},${JSON.stringify(this.auth)}`);
    else if (packet === '2') this.send('3');
    else if (packet[0] === '4') this.onSocketIoPacket(packet.slice(1));
  }

  /** socket.io packets of the namespace: 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR. */
  onSocketIoPacket(packet) {
    const type = packet[0];
    const prefix = `${this.namespace},`;
    if (!packet.startsWith(prefix, 1)) return;
    const rest = packet.slice(1 + prefix.length);
    if (type === '0') {
      this.connected = true;
      clearTimeout(this.timer);
      this.emit('connect');
    } else if (type === '4') {
      this.fail(new Error(JSON.parse(rest).message));
    } else if (type === '1') {
      this.socket.end();
    } else if (type === '2') {
      const [name, data] = JSON.parse(rest);
      this.emit('event', name, data);
    } else if (type === '3') {
      const bracket = rest.indexOf('[');
      const id = Number(rest.slice(0, bracket));
      const pending = this.acks.get(id);
      this.acks.delete(id);
      pending?.resolve(JSON.parse(rest.slice(bracket))[0]);
    }
  }

  /** Emits `event` with `body` and resolves with the server's ack, or rejects after `timeoutMs`. */
  request(event, body, timeoutMs) {
    const id = this.nextAckId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new Error(`no ack within ${timeoutMs} ms`));
      }, timeoutMs);
      this.acks.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.send(`42${this.namespace},${id}${JSON.stringify([event, body])}`);
    });
  }

  /** Leaves the namespace, then closes the WebSocket and the TCP connection. */
  close() {
    clearTimeout(this.timer);
    if (this.socket.destroyed) return;
    if (this.upgraded) {
      if (this.connected) this.send(`41${this.namespace},`);
      const code = Buffer.alloc(2);
      code.writeUInt16BE(1000);
      this.socket.write(frame(OPCODE_CLOSE, code));
    }
    this.socket.end();
  }
}
