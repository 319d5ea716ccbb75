// Test gRPC application (raw-bytes methods, no protobuf): Unary echoes with the caller's address, List streams n items.
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { SERVICE } from './grpc-service.mjs';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const server = new grpc.Server();
server.addService(SERVICE, {
  unary: (call, cb) => cb(null, Buffer.from(JSON.stringify({ echo: call.request.toString(), peer: call.getPeer() }))),
  list: (call) => {
    const n = Number(call.request.toString());
    for (let i = 0; i < n; i++) call.write(Buffer.from(`item ${i}`));
    call.end();
  },
});
server.bindAsync(`${values.host ?? '0.0.0.0'}:${values.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  out({ event: 'listening', port });
});
process.on('SIGTERM', () => server.forceShutdown());
