// Large buffers used again rather than allocated afresh: the kernel faults in a fresh buffer's pages one
// by one as they are first written, which for a 4 MB upload cost about as much as copying its bytes, and
// each fresh allocation outside the heap sets off garbage collections (docs/benchmarks.md, Transfers).
//
// A buffer taken is lent to its taker until it is given back; what is given back must no longer be read
// or written by anyone, since the next taker writes over it.

/** Each buffer now lent, by its memory: the pool that lent it, and the view its taker holds. */
const loans = new WeakMap<ArrayBufferLike, { pool: BufferPool; view: Uint8Array }>();

/** Sizes are rounded up to a multiple of this, so that buffers of near sizes are used for each other. */
const SIZE_STEP = 1024 * 1024;

export class BufferPool {
  /** Spare memory by its size. */
  private readonly spares = new Map<number, ArrayBuffer[]>();
  private spareBytes = 0;

  /** `maxSpareBytes`: the spare memory kept at most; buffers given back beyond it are left to the GC. */
  constructor(private readonly maxSpareBytes: number) {}

  /**
   * A buffer of `size` bytes, lent until given back: the start of memory of its own (whose size is
   * `size` rounded up to a MiB), whose bytes are whatever the last taker left. Give it back (give) when
   * done, or leave it to the garbage collector.
   */
  take(size: number): Buffer {
    if (size === 0) return Buffer.alloc(0);
    const capacity = Math.ceil(size / SIZE_STEP) * SIZE_STEP;
    const spare = this.spares.get(capacity)?.pop();
    if (spare !== undefined) this.spareBytes -= capacity;
    const memory = spare ?? Buffer.allocUnsafeSlow(capacity).buffer;
    const view = Buffer.from(memory, 0, size);
    loans.set(memory, { pool: this, view });
    return view;
  }

  /**
   * Takes back a buffer this pool lent: the very Buffer that take gave (or that adopt was given). Once
   * only: the same Buffer given again, even after its memory has been lent to another taker, is ignored,
   * as is any other view of the memory. Memory moved to a worker thread (transferred) and not back is
   * gone from here; one moved back is another object, which the pool knows again once adopted.
   */
  give(buffer: Uint8Array): void {
    const memory = buffer.buffer;
    const loan = loans.get(memory);
    if (loan?.pool !== this || loan.view !== buffer) return;
    loans.delete(memory);
    // Moved away (detached), or over the bound.
    if (!(memory instanceof ArrayBuffer) || memory.byteLength === 0) return;
    if (this.spareBytes + memory.byteLength > this.maxSpareBytes) return;
    const same = this.spares.get(memory.byteLength) ?? [];
    same.push(memory);
    this.spares.set(memory.byteLength, same);
    this.spareBytes += memory.byteLength;
  }

  /**
   * A view of memory this pool lent, moved to a worker thread and back (new objects): lent still, as
   * before, and this the view to give back.
   */
  adopt(view: Uint8Array): void {
    loans.set(view.buffer, { pool: this, view });
  }

  /** The spare memory held, in bytes. */
  get spare(): number {
    return this.spareBytes;
  }
}

/** The pool that lent the buffer whose memory this is, if one did and it is not yet given back. */
export function poolOf(memory: ArrayBufferLike): BufferPool | undefined {
  return loans.get(memory)?.pool;
}
