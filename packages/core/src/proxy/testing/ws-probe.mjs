// Test WebSocket client: upgrade, send one masked text frame, expect the echo, close.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { host: { type: 'string' }, port: { type: 'string' }, text: { type: 'string' } } });
const result = (o) => {
  process.stdout.write(`${JSON.stringify({ event: 'result', ...o })}\n`);
  process.exit(0);
};
setTimeout(() => result({ error: 'PROBE_TIMEOUT' }), 10_000).unref();
const key = randomBytes(16).toString('base64');
const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
const text = Buffer.from(values.text ?? 'hello-ws');
const host = values.host.includes(':') ? `[${values.host}]` : values.host;
const socket = net.connect({ host: values.host, port: Number(values.port) }, () => {
  socket.write(`GET /ws HTTP/1.1\r\nHost: ${host}:${values.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
});
let buf = Buffer.alloc(0);
let head;
socket.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  if (!head) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    head = buf.subarray(0, end).toString('latin1');
    buf = buf.subarray(end + 4);
    const mask = randomBytes(4);
    const payload = Buffer.from(text);
    for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | text.length]), mask, payload]));
  }
  if (buf.length >= 2 && buf.length >= 2 + (buf[1] & 0x7f)) {
    const echoed = buf.subarray(2, 2 + (buf[1] & 0x7f)).toString();
    const status = Number(head.split(' ')[1]);
    const accept = /sec-websocket-accept: (.*)/i.exec(head)?.[1]?.trim();
    result({ status, acceptOk: accept === expected, echoed, head });
  }
});
socket.on('error', (err) => result({ error: err.code }));
