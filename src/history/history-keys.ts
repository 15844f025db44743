// Redis keys of one service line's call-volume history, all under `<prefix>history:<line>:`.
export class HistoryKeys {
  private readonly base: string;
  constructor(prefix: string, line: string) {
    this.base = `${prefix}history:${line}:`;
  }
  /** Hash: intervalMin, calls, updatedAt. */
  meta = () => `${this.base}meta`;
  /** Sorted set of the days held, `YYYY-MM-DD` scored by days since 1970-01-01. */
  days = () => `${this.base}days`;
  /** Hash of one day's counts: `HH:MM` (interval start) to calls. */
  day = (date: string) => `${this.base}day:${date}`;
  /** Hash of operator day overrides: `YYYY-MM-DD` to JSON. */
  overrides = () => `${this.base}overrides`;
}
