/** Polls `condition` until it holds; fails the test after `milliseconds`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  milliseconds = 10_000,
): Promise<void> {
  const deadline = Date.now() + milliseconds;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${milliseconds} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
