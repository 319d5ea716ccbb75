// Test gRPC application (raw-bytes methods, no protobuf): Unary echoes with the caller's address, List streams n items,
// Slow answers after 1 s, Flaky fails its first call per body with UNAVAILABLE.
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { SERVICE } from './grpc-service.mjs';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const flakyHits = new Map();
const server = new grpc.Server();
server.addService(SERVICE, {
  unary: (call, cb) => cb(null, Buffer.from(JSON.stringify({ echo: call.request.toString(), peer: call.getPeer() }))),
  list: (call) => {
    const n = Number(call.request.toString());
    for (let i = 0; i < n; i++) call.write(Buffer.from(`item ${i}`));
    call.end();
  },
  slow: (call, cb) => setTimeout(() => cb(null, Buffer.from('late')), 1_000),
  flaky: (call, cb) => {
    const key = call.request.toString();
    const n = (flakyHits.get(key) ?? 0) + 1;
    flakyHits.set(key, n);
    if (n === 1) cb({ code: grpc.status.UNAVAILABLE, details: 'first attempt fails' });
    else cb(null, Buffer.from(JSON.stringify({ echo: `ok after ${n}` })));
  },
});
server.bindAsync(`${values.host ?? '0.0.0.0'}:${values.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  out({ event: 'listening', port });
});
process.on('SIGTERM', () => server.forceShutdown());
