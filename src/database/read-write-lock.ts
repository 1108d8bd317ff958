interface Waiter {
  exclusive: boolean;
  start: () => void;
}

/**
 * Many readers or one writer, first come first served: a writer that waits
 * holds back the readers that come after it, so a stream of reads cannot
 * starve it. Uncontended, taking the shared side costs a counter.
 */
export class ReadWriteLock {
  private readers = 0;
  private writing = false;
  private readonly queue: Waiter[] = [];

  async shared<T>(work: () => Promise<T>): Promise<T> {
    if (this.writing || this.queue.length > 0) await this.enqueue(false);
    else this.readers++;
    try {
      return await work();
    } finally {
      this.readers--;
      this.drain();
    }
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.writing || this.readers > 0 || this.queue.length > 0) await this.enqueue(true);
    else this.writing = true;
    try {
      return await work();
    } finally {
      this.writing = false;
      this.drain();
    }
  }

  /** Whether a writer holds the lock: a read asked for now would wait for it. */
  get writerActive(): boolean {
    return this.writing;
  }

  private enqueue(exclusive: boolean): Promise<void> {
    return new Promise((start) => this.queue.push({ exclusive, start }));
  }

  /** Hands the lock to the waiters at the head of the queue: one writer, or every reader up to the next writer. */
  private drain(): void {
    while (this.queue.length > 0 && !this.writing) {
      const next = this.queue[0];
      if (next.exclusive) {
        if (this.readers > 0) return;
        this.writing = true;
      } else {
        this.readers++;
      }
      this.queue.shift();
      next.start();
    }
  }
}
