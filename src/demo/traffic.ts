// Scripted demo traffic: which lines citizens dial, how they behave in the IVR and the queue.
// Deterministic for a given seed so that a demo run can be repeated.
import type { CallerScript } from '../switch-emulator/index.ts';

const LINES: Array<[string, number]> = [
  ['12345', 0.5],
  ['12333', 0.15],
  ['12315', 0.12],
  ['12369', 0.06],
  ['12319', 0.06],
  ['12365', 0.04],
  ['12338', 0.03],
  ['12355', 0.02],
  ['12348', 0.02],
];

// The forms carriers deliver the dialled number in.
const FORMS = [
  (n: string) => n,
  (n: string) => `+86${n}`,
  (n: string) => `027${n}`,
  (n: string) => `0086${n}`,
];

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function nextCaller(rand: () => number): CallerScript {
  let r = rand();
  let line = '12345';
  for (const [n, p] of LINES) {
    if (r < p) {
      line = n;
      break;
    }
    r -= p;
  }
  const form = FORMS[Math.floor(rand() * FORMS.length)]!;
  const mobile = `1${3 + Math.floor(rand() * 6)}${String(Math.floor(rand() * 1e9)).padStart(9, '0')}`;
  const script: CallerScript = {
    destination: form(line),
    callerIdNumber: rand() < 0.5 ? `+86${mobile}` : mobile,
    hangupAfterBridgeMs: 1500 + Math.floor(rand() * 3500),
  };
  // On 12345 (direct mode) some press 0 at once; on the legacy lines most pick a desk (type-ahead
  // during the menu prompt), a few press 0, and a few press nothing (they reach a human with care
  // priority after two prompts, as the IVR does for callers who cannot manage the keypad).
  const r2 = rand();
  if (line === '12345') {
    if (r2 < 0.35) script.dtmf = [{ afterAnswerMs: 150, digits: '0' }];
  } else if (r2 < 0.8) script.dtmf = [{ afterAnswerMs: 300, digits: '1' }];
  else if (r2 < 0.95) script.dtmf = [{ afterAnswerMs: 300, digits: '0' }];
  // About one caller in seven gives up after a few seconds in the queue.
  if (rand() < 0.15) script.patienceMs = 1500 + Math.floor(rand() * 2500);
  return script;
}
