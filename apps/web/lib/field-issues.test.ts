import { describe, expect, it } from 'vitest';
import { ApiError } from './api-client.ts';
import { fieldIssues, humanIssue } from './field-issues.ts';

describe('fieldIssues', () => {
  it("maps the API's issue paths to fields, in words, first issue of a field only, and leaves the rest", () => {
    const error = new ApiError(400, 'MESHCAP_ERR_INVALID_REQUEST', 'body.dstPort: …', [
      { path: 'body.dstPort', message: 'Invalid input: expected number, received null' },
      { path: 'body.dstPort', message: 'Too small: expected number to be >=1' },
      { path: 'body.dst', message: '"backend": not an IPv4 or IPv6 address' },
      { path: 'body', message: 'source and destination differ in family' },
    ]);
    const { byField, rest } = fieldIssues(error, { 'body.dstPort': 'port', 'body.dst': 'dst' });
    expect(byField).toEqual({ port: 'must be a number', dst: 'not an IPv4 or IPv6 address' });
    expect(rest).toEqual([{ path: 'body', message: 'source and destination differ in family' }]);
  });

  it('says nothing about fields for an error that is not from the API', () => {
    expect(fieldIssues(new Error('boom'), { 'body.dst': 'dst' })).toEqual({ byField: {}, rest: [] });
  });

  it.each([
    ['Too small: expected number to be >=1', 'must be at least 1'],
    ['Too big: expected number to be <=65535', 'must be at most 65535'],
    ['Invalid input: expected int, received number', 'must be a whole number'],
    ['Invalid input: expected string, received undefined', 'is required'],
    ['not an interface name', 'not an interface name'],
  ])('%s → %s', (zod, human) => expect(humanIssue(zod)).toBe(human));
});
