// Shared by the test agents: one JSON object per stdout line, and errors in the same shape.
export function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

/** The parts of a Node-style error the tests assert on. */
export function errorFields(err: unknown): Record<string, unknown> {
  const e = err as NodeJS.ErrnoException;
  return { name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, message: e.message };
}
