/**
 * The users file's changes, told to the other servers of a pool: the
 * server that wrote the file announces it, each other server reads the
 * file again and answers, and the announcement returns once all have (or
 * after a second): a key the console rotated, disabled or deleted is then
 * refused on every thread before the console hears that it was done.
 */

/** How long an announcement waits for the others' answers. */
const ANSWER_TIMEOUT_MS = 1000;

/** One server's end of a pool's channel for users changes. */
export class UsersSync {
  readonly #channel: BroadcastChannel;
  readonly #waiting = new Map<string, () => void>();

  /** Joins pool `poolId` of `others` other servers; `reload` reads the users file again. */
  constructor(poolId: string, private readonly others: number, reload: () => Promise<void>) {
    this.#channel = new BroadcastChannel(`geckos3-users-${poolId}`);
    this.#channel.onmessage = (e: MessageEvent) => {
      const msg = e.data as { changed?: string; reloaded?: string };
      if (msg.changed) {
        const id = msg.changed;
        // A file that cannot be read now is read at the next poll (config/files.ts's watchFile).
        void reload().catch(() => {}).finally(() => this.#channel.postMessage({ reloaded: id }));
      } else if (msg.reloaded) {
        this.#waiting.get(msg.reloaded)?.();
      }
    };
  }

  /** Tells the others the file changed; resolves once they have read it again (or after a second). */
  announce(): Promise<void> {
    const id = crypto.randomUUID();
    let answers = 0;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ANSWER_TIMEOUT_MS);
      this.#waiting.set(id, () => {
        if (++answers >= this.others) done();
      });
      this.#channel.postMessage({ changed: id });
    });
  }

  /** Leaves the pool. */
  close(): void {
    this.#channel.close();
  }
}
