/** True if `promise` settles within `timeoutMs`, false if the time runs out first. */
export async function settlesWithin(
  promise: Promise<unknown> | undefined,
  timeoutMs: number,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([(promise ?? Promise.resolve()).then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
