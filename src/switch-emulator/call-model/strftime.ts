// The ${strftime(...)} API expansion the stock public dialplan uses for RFC2822_DATE.
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

export function strftime(fmt: string, d = new Date()): string {
  const off = -d.getTimezoneOffset();
  const z = `${off >= 0 ? '+' : '-'}${p2(Math.floor(Math.abs(off) / 60))}${p2(Math.abs(off) % 60)}`;
  const map: Record<string, string> = {
    a: DAYS[d.getDay()] as string,
    b: MONTHS[d.getMonth()] as string,
    d: p2(d.getDate()),
    e: String(d.getDate()).padStart(2, ' '),
    m: p2(d.getMonth() + 1),
    Y: String(d.getFullYear()),
    y: p2(d.getFullYear() % 100),
    H: p2(d.getHours()),
    M: p2(d.getMinutes()),
    S: p2(d.getSeconds()),
    T: `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`,
    F: `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`,
    z,
    '%': '%',
  };
  return fmt.replace(/%([a-zA-Z%])/g, (m, c: string) => map[c] ?? m);
}
