// Channel variables keep insertion order because FreeSWITCH stores them in a switch_event header list:
// setting an existing variable removes it and appends it at the bottom (switch_channel_set_variable_var_check),
// which is why re-set variables "move" to the end of variable_* blocks in the transcripts.
export class VarMap {
  private readonly m = new Map<string, string>();

  set(name: string, value: string | undefined | null): void {
    this.m.delete(name);
    if (value !== undefined && value !== null) this.m.set(name, value);
  }

  /** Set only when absent (keeps position), like switch_channel_set_variable_partner-less "add if missing" callers. */
  setIfAbsent(name: string, value: string): void {
    if (!this.m.has(name)) this.m.set(name, value);
  }

  get(name: string): string | undefined {
    return this.m.get(name);
  }

  has(name: string): boolean {
    return this.m.has(name);
  }

  delete(name: string): void {
    this.m.delete(name);
  }

  entries(): Array<[string, string]> {
    return [...this.m.entries()];
  }

  toObject(): Record<string, string> {
    return Object.fromEntries(this.m);
  }
}
