/**
 * Buffer sizes that shrink as transfers multiply: a few large transfers get
 * large buffers (fewer syscalls, more throughput), many at once share a
 * fixed budget, so the server's memory stays bounded under load.
 */

const STEP = 64 * 1024;

/** A memory budget shared by the transfers of one kind in progress. */
export class TransferBudget {
  #active = 0;

  /** `total` bytes shared by all transfers, each buffer between `min` and `max` bytes. */
  constructor(
    private readonly total: number,
    private readonly min: number,
    private readonly max: number,
  ) {}

  /** Registers a transfer until `close()` is called. */
  open(): { bufferSize(): number; close(): void } {
    this.#active++;
    let closed = false;
    return {
      bufferSize: () => this.bufferSize(),
      close: () => {
        if (closed) return;
        closed = true;
        this.#active--;
      },
    };
  }

  /** The buffer size each transfer should use now (a multiple of 64 KiB). */
  bufferSize(): number {
    const share = Math.floor(this.total / Math.max(1, this.#active) / STEP) * STEP;
    return Math.max(this.min, Math.min(this.max, share));
  }

  /** Transfers in progress. */
  get active(): number {
    return this.#active;
  }
}

/** Reads of object bodies (GET): 1 MiB buffers for up to 16 streams at once. */
export const READ_BUDGET = new TransferBudget(16 * 1024 * 1024, 128 * 1024, 1024 * 1024);

/** Writes of request bodies (PUT, UploadPart): 1 MiB buffers for up to 16 uploads at once. */
export const WRITE_BUDGET = new TransferBudget(16 * 1024 * 1024, 128 * 1024, 1024 * 1024);
