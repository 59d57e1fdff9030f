// Parallel block work where one failure ends the whole job: the rest are aborted, not left running.

/** Run all tasks; on the first failure abort the rest, wait for them to settle, and rethrow that failure. */
export async function allOrAbort(tasks: Array<() => Promise<unknown>>, ctrl: AbortController): Promise<void> {
  let first: { e: unknown } | undefined;
  await Promise.all(
    tasks.map(async (t) => {
      try {
        await t();
      } catch (e) {
        if (!first) {
          first = { e };
          ctrl.abort(e);
        }
      }
    }),
  );
  if (first) throw first.e;
}
