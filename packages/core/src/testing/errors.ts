import { MeshcapError } from '../errors.ts';

/** The MeshcapError `fn` throws, for a test to check its code, path and message; anything else it throws, or nothing, fails the test. */
export function meshcapErrorOf(fn: () => unknown): MeshcapError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MeshcapError) return err;
    throw err;
  }
  throw new Error('expected a MeshcapError');
}
