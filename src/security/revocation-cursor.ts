/** Ids below the highest one read that were missing from the log: a transaction may still commit them. */
interface Gap {
  from: number;
  to: number;
  /** When a read first found them missing (monotonic milliseconds). */
  noticedAt: number;
}

/** Beyond this many gaps the closest are merged: a merged range reads some known ids again, which is harmless. */
const MAX_GAPS = 100;

/**
 * Where the next read of the revocation log starts: after the highest id read,
 * plus the ids below it that were missing.
 *
 * Ids are handed out when a transaction inserts, not when it commits, so
 * concurrent transactions become visible out of order: id 11 can be read
 * while id 10 is still uncommitted. Re-reading a fixed margin below the
 * highest id would either be too short for a slow transaction during a burst
 * or re-read many rows every time; the missing ids themselves are few (an
 * uncommitted or rolled-back insert, a retried deadlock victim), so exactly
 * those are read again until they appear, or until a read that began
 * `gapWaitMs` after they were noticed still lacks them (rolled back). Every
 * time here comes from the reading instance's own monotonic clock: the
 * clocks of the instances that wrote the entries do not matter.
 */
export class LogCursor {
  private highest = 0;
  private gaps: Gap[] = [];

  constructor(private readonly gapWaitMs: number) {}

  /** Entries above this id have not been read yet. */
  get highestId(): number {
    return this.highest;
  }

  /** The id ranges to read again, [from, to] inclusive. */
  get awaited(): Array<[number, number]> {
    return this.gaps.map(({ from, to }) => [from, to]);
  }

  /**
   * Records a read that began at `startedAt` and ended at `endedAt`, and found
   * these ids above highestId and within the awaited ranges. Missing ids up to
   * `settledId` are not awaited: at start, the holes of an old log are entries
   * pruned long ago, not transactions still open.
   */
  advance(ids: number[], startedAt: number, endedAt: number, settledId = 0): void {
    const found = [...new Set(ids)].sort((a, b) => a - b);
    const gaps: Gap[] = [];
    let next = 0;
    for (const gap of this.gaps) {
      while (next < found.length && found[next] < gap.from) next++;
      let from = gap.from;
      for (; next < found.length && found[next] <= gap.to; next++) {
        if (found[next] > from) gaps.push({ from, to: found[next] - 1, noticedAt: gap.noticedAt });
        from = found[next] + 1;
      }
      if (from <= gap.to) gaps.push({ from, to: gap.to, noticedAt: gap.noticedAt });
    }
    const stillAwaited = gaps.filter((gap) => startedAt < gap.noticedAt + this.gapWaitMs);

    let previous = Math.max(this.highest, settledId);
    for (const id of found) {
      if (id <= previous) continue;
      if (id > previous + 1) stillAwaited.push({ from: previous + 1, to: id - 1, noticedAt: endedAt });
      previous = id;
    }
    if (found.length > 0) this.highest = Math.max(this.highest, found[found.length - 1]);
    this.gaps = mergeClosest(
      stillAwaited.sort((a, b) => a.from - b.from),
      MAX_GAPS,
    );
  }
}

/** Merges the neighbouring gaps with the fewest known ids between them until at most `max` remain. */
function mergeClosest(gaps: Gap[], max: number): Gap[] {
  while (gaps.length > max) {
    let closest = 0;
    for (let i = 1; i < gaps.length - 1; i++) if (gaps[i + 1].from - gaps[i].to < gaps[closest + 1].from - gaps[closest].to) closest = i;
    const [left, right] = [gaps[closest], gaps[closest + 1]];
    // Awaited as long as the later of the two.
    gaps.splice(closest, 2, { from: left.from, to: right.to, noticedAt: Math.max(left.noticedAt, right.noticedAt) });
  }
  return gaps;
}
