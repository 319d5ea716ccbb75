import { afterEach, describe, expect, it } from 'vitest';
import { adoptTokenFromLocation, forgetToken, readToken, saveToken, subscribeToken } from './mutation-token.ts';

afterEach(forgetToken);

describe('mutation token', () => {
  it('adopts a token from the address fragment and removes it from the address bar', () => {
    window.history.replaceState(null, '', '/gui/flows?x=1#token=abc%2Fdef');
    adoptTokenFromLocation();
    expect(readToken()).toBe('abc/def');
    expect(window.sessionStorage.getItem('meshcap.token')).toBe('abc/def');
    expect(window.location.hash).toBe('');
    expect(window.location.pathname + window.location.search).toBe('/gui/flows?x=1');
  });

  it('leaves other fragments and the stored token alone', () => {
    saveToken('kept');
    window.history.replaceState(null, '', '/gui/#section');
    adoptTokenFromLocation();
    expect(readToken()).toBe('kept');
    expect(window.location.hash).toBe('#section');
  });

  it('tells subscribers when the token changes', () => {
    let calls = 0;
    const stop = subscribeToken(() => calls++);
    saveToken(' spaced ');
    expect(readToken()).toBe('spaced');
    forgetToken();
    stop();
    saveToken('after');
    expect(calls).toBe(2);
  });
});
