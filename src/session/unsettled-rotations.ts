/** Long enough for a client to retry after an outage of the database; beyond it a retry counts as reuse again. */
const KEEP_MS = 15 * 60_000;
/** A bound on memory when the database fails under a flood of rotations; the oldest are let go first. */
const MAX_ENTRIES = 10_000;

/**
 * Refresh tokens whose rotation this instance answered 503 after the database failed mid-statement: the
 * successor may have been written without reaching the client. Kept in memory (by the token's hash) for this
 * instance's own answers: a retry that reaches another instance, or comes after a restart, is judged as
 * any rotated token is.
 */
export class UnsettledRotations {
  private readonly entries = new Map<string, { generation: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  remember(tokenHash: string, successorGeneration: number): void {
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, { generation: successorGeneration, at: this.now() });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The generation of the successor that may be undelivered, while it is kept. */
  successorOf(tokenHash: string): number | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (this.now() - entry.at > KEEP_MS) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return entry.generation;
  }

  forget(tokenHash: string): void {
    this.entries.delete(tokenHash);
  }
}
