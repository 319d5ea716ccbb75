// Test gRPC client: `--calls N` unary calls on one channel, then one List of `--items M`; prints one result line.
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { SERVICE } from './grpc-service.mjs';

const { values } = parseArgs({ options: { target: { type: 'string' }, calls: { type: 'string' }, items: { type: 'string' } } });
const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
const client = new Client(values.target, grpc.credentials.createInsecure());
const unary = (i) =>
  new Promise((resolve) => client.unary(Buffer.from(`call ${i}`), { deadline: Date.now() + 10_000 }, (err, res) => resolve(err ? { code: err.code } : JSON.parse(res.toString()))));
const replies = await Promise.all(Array.from({ length: Number(values.calls ?? '1') }, (_, i) => unary(i)));
const items = await new Promise((resolve) => {
  const got = [];
  const call = client.list(Buffer.from(values.items ?? '0'));
  call.on('data', (m) => got.push(m.toString()));
  call.on('end', () => resolve(got.length));
  call.on('error', (e) => resolve(`error ${e.code}`));
});
client.close();
process.stdout.write(`${JSON.stringify({ event: 'result', replies, items })}\n`);
