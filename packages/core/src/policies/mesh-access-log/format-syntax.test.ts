import { describe, expect, it } from 'vitest';
import { parseAccessLogFormat } from './format-syntax.ts';
import { ACCESS_LOG_DEFAULT_TCP_FORMAT } from './schema.ts';

describe('parseAccessLogFormat', () => {
  it("splits Kuma's default TCP format into text and operators", () => {
    const tokens = parseAccessLogFormat(ACCESS_LOG_DEFAULT_TCP_FORMAT);
    expect(tokens.slice(0, 6)).toEqual(['[', { operator: 'START_TIME' }, '] ', { operator: 'RESPONSE_FLAGS' }, ' ', { operator: 'KUMA_MESH' }]);
    expect(tokens.filter((t) => typeof t !== 'string').length).toBe(10);
  });

  it('reads arguments, lengths, %% and leaves an unterminated % as text', () => {
    expect(parseAccessLogFormat('%REQ(X-ENVOY-ORIGINAL-PATH?:PATH):64% 100%% %DURATION')).toEqual([
      { operator: 'REQ', argument: 'X-ENVOY-ORIGINAL-PATH?:PATH', maxLength: 64 },
      ' 100% %DURATION',
    ]);
  });
});
