// A progress bar for long imports, drawn on stderr only when a person is watching (a TTY), so
// scripts and CI logs get clean output.
export interface ProgressBar {
  update(fraction: number): void;
  done(): void;
}

const WIDTH = 30;
const MIN_REDRAW_MS = 100;

export function progressBar(stream: NodeJS.WriteStream, label: string): ProgressBar {
  if (!stream.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = -1;
  const draw = (f: number) => {
    const filled = Math.round(f * WIDTH);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.round(f * 100)}%`);
    shown = f;
  };
  return {
    update(fraction) {
      const f = Math.max(0, Math.min(1, fraction));
      const now = Date.now();
      if (now - last < MIN_REDRAW_MS && f < 1) return;
      last = now;
      if (f !== shown) draw(f);
    },
    done() {
      draw(1);
      stream.write('\n');
    },
  };
}
