import { REASONS } from './head.ts';

/** The bytes of an answer the proxy gives itself (a policy's, an error): plain text, with the request id; `close` adds `connection: close`. */
export function localReplyBytes(status: number, body: string, requestId: string, close: boolean, headers: Readonly<Record<string, string>> | undefined): Buffer {
  let extra = '';
  if (headers) for (const [k, v] of Object.entries(headers)) extra += `${k}: ${v}\r\n`;
  const len = Buffer.byteLength(body);
  return Buffer.from(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Unknown'}\r\ncontent-length: ${len}\r\ncontent-type: text/plain\r\nx-request-id: ${requestId}\r\n${extra}${close ? 'connection: close\r\n' : ''}\r\n${body}`,
  );
}
