// switch_url_encode (switch_utils.c): bytes outside ' '..'~' and SWITCH_URL_UNSAFE become %XX, except that an
// existing "%XX" escape is left alone (double_encode off) - so "%(" is encoded but "%3A" passes through.
const UNSAFE = new Set('\r\n #%&+:;<=>?@[\\]^`{|}"');
const HEX = '0123456789ABCDEF';
const isHex = (b: number | undefined): boolean =>
  b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));

export function fsUrlEncode(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0x25 && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out += '%';
      continue;
    }
    const c = String.fromCharCode(b);
    if (b < 0x20 || b > 0x7e || UNSAFE.has(c)) out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
    else out += c;
  }
  return out;
}
