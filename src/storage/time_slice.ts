/**
 * Long storage work runs on the thread that serves requests: a listing that
 * reads and sorts a directory of 200,000 entries, or searches thousands of
 * empty ones, would hold every other request up for as long as it takes.
 * Such work asks a TimeSlice now and then, and pauses for a turn of the event
 * loop once its slice is used, so others wait at most about a slice.
 */

/** How long work runs between pauses. */
export const SLICE_MS = 3;

/** The budget of one request's long work (see the module doc). */
export class TimeSlice {
  #since = performance.now();

  /** A slice of `ms` milliseconds, starting now. */
  constructor(readonly ms: number = SLICE_MS) {}

  /**
   * Null while the slice lasts; once it is used, a promise resolved after
   * the event loop has looked at its sockets and served what was ready.
   */
  pause(): Promise<void> | null {
    if (performance.now() - this.#since < this.ms) return null;
    return turnOfTheLoop().then(() => {
      this.#since = performance.now();
    });
  }
}

/**
 * One turn of Deno's event loop, cheaply: an lstat of "/" goes to the
 * blocking thread pool and back (tens of microseconds), and the loop polls
 * its sockets meanwhile. A microtask or setImmediate comes back before the
 * loop polls anything, and a zero-delay timer sleeps a millisecond or two.
 */
function turnOfTheLoop(): Promise<unknown> {
  return Deno.lstat("/").catch(() => null);
}
