// Masks personal data (phone numbers, resident ID numbers) before anything is written to a log.
// Applied to every string in a log line, keys included, so a number smuggled into a message or a
// nested object is caught too.

// 18-digit resident identity numbers (GB 11643), the last character may be X.
const ID_NUMBER = /(?<![0-9A-Za-z-])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z-])/g;
// Phone numbers: runs of 7+ digits with optional +, country code and space/dash separators. Short
// service numbers (12345, agent extensions) stay readable: they identify lines and seats, not people.
// A dash or letter on either side means an id or a date (uuid segment, 2026-11-22T...), not a phone.
const PHONE = /(?<![0-9A-Za-z-])(\+?\d[\d -]{5,}\d)(?![0-9A-Za-z-])/g;

function maskDigits(run: string): string {
  const digits = run.replace(/\D/g, '');
  if (digits.length < 7) return run;
  const keepHead = digits.length >= 11 ? 3 : 2;
  return `${digits.slice(0, keepHead)}****${digits.slice(-4)}`;
}

export function maskText(text: string): string {
  return text.replace(ID_NUMBER, (_m, a: string, b: string) => `${a}********${b}`).replace(PHONE, maskDigits);
}

/** Masks a phone number for display in logs and operator screens; agents see numbers in full. */
export function maskPhone(number: string): string {
  return maskText(number);
}

export function maskDeep(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (typeof value === 'string') return maskText(value);
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  if (value && typeof value === 'object') {
    if (value instanceof Error) {
      return { type: value.name, message: maskText(value.message), stack: maskText(value.stack ?? '') };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[maskText(k)] = maskDeep(v, depth + 1);
    return out;
  }
  return value;
}
