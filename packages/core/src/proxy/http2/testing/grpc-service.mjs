// The test service of grpc-app.mjs and grpc-probe.mjs: raw bytes, so no .proto is needed.
const raw = { requestSerialize: (b) => b, requestDeserialize: (b) => b, responseSerialize: (b) => b, responseDeserialize: (b) => b };
export const SERVICE = {
  unary: { path: '/test.Echo/Unary', requestStream: false, responseStream: false, ...raw },
  list: { path: '/test.Echo/List', requestStream: false, responseStream: true, ...raw },
  // Answers after a second (a timeout's subject).
  slow: { path: '/test.Echo/Slow', requestStream: false, responseStream: false, ...raw },
  // UNAVAILABLE on the first call with a given body, then OK (a retry's subject).
  flaky: { path: '/test.Echo/Flaky', requestStream: false, responseStream: false, ...raw },
};
