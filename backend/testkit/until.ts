/** Waits until `ok()` holds, checking every `pollMs`; throws `timed out waiting for WHAT` after `ms`. */
export async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  ms = 60_000,
  pollMs = 200,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
