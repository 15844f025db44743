// A strict, tiny XML 1.0 well-formedness checker and tree builder for the FreeSWITCH configuration tests.
// It rejects what a validating parser rejects in these files: bad nesting, unquoted or duplicate attributes,
// stray '<' or '&', '--' inside comments, text or a second element outside the root.

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  line: number;
}

export interface XmlComment {
  text: string;
  line: number;
}

export interface XmlDoc {
  root: XmlNode;
  comments: XmlComment[];
}

export class XmlError extends Error {}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9A-Fa-f]+);/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9A-Fa-f]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? '';
  });
}

/** Parses `text`, throwing XmlError (with a line number) at the first well-formedness error. */
export function parseXmlStrict(text: string): XmlDoc {
  let i = 0;
  const lineAt = (pos: number): number => text.slice(0, pos).split('\n').length;
  const fail = (msg: string, pos = i): never => {
    throw new XmlError(`line ${lineAt(pos)}: ${msg}`);
  };
  const comments: XmlComment[] = [];
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;

  const checkText = (s: string, pos: number): void => {
    for (let k = s.indexOf('&'); k >= 0; k = s.indexOf('&', k + 1)) {
      if (!ENTITY.test(s.slice(k))) fail('bare "&" (write &amp;)', pos + k);
    }
    if (s.includes(']]>')) fail('"]]>" in text', pos);
  };

  if (text.startsWith('\uFEFF')) i = 1;
  if (text.startsWith('<?xml', i)) {
    const end = text.indexOf('?>', i);
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (stack.length === 0) {
      if (chunk.trim() !== '') fail('text outside the root element');
    } else checkText(chunk, i);
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      const body = text.slice(i + 4, end);
      if (body.includes('--') || body.endsWith('-')) fail('"--" inside a comment');
      comments.push({ text: body, line: lineAt(i) });
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) fail('CDATA outside the root element');
      const end = text.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA section');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
      continue;
    }
    if (text.startsWith('<!', i)) fail('DOCTYPE or other declaration not expected here');
    if (text.startsWith('</', i)) {
      const m = NAME.exec(text.slice(i + 2));
      if (!m) fail('bad end tag');
      const name = (m as RegExpExecArray)[0];
      let j = i + 2 + name.length;
      while (/\s/.test(text[j] ?? '')) j++;
      if (text[j] !== '>') fail(`bad end tag </${name}`);
      const open = stack.pop();
      if (!open) fail(`end tag </${name}> without a start tag`);
      if ((open as XmlNode).name !== name)
        fail(
          `end tag </${name}> does not match <${(open as XmlNode).name}> of line ${(open as XmlNode).line}`,
        );
      i = j + 1;
      continue;
    }
    // Start tag.
    const start = i;
    const m = NAME.exec(text.slice(i + 1));
    if (!m) fail('"<" that starts no tag (write &lt;)');
    const node: XmlNode = { name: (m as RegExpExecArray)[0], attrs: {}, children: [], line: lineAt(i) };
    let j = i + 1 + node.name.length;
    for (;;) {
      const ws = j;
      while (/\s/.test(text[j] ?? '')) j++;
      if (text.startsWith('/>', j) || text[j] === '>') break;
      if (j === ws) fail(`attributes of <${node.name}> need white space between them`, j);
      const an = NAME.exec(text.slice(j));
      if (!an) fail(`bad attribute in <${node.name}>`, j);
      const attr = (an as RegExpExecArray)[0];
      j += attr.length;
      while (/\s/.test(text[j] ?? '')) j++;
      if (text[j] !== '=') fail(`attribute ${attr} of <${node.name}> has no value`, j);
      j++;
      while (/\s/.test(text[j] ?? '')) j++;
      const q = text[j];
      if (q !== '"' && q !== "'") fail(`attribute ${attr} of <${node.name}> is not quoted`, j);
      const close = text.indexOf(q as string, j + 1);
      if (close < 0) fail(`unterminated value of ${attr}`, j);
      const raw = text.slice(j + 1, close);
      if (raw.includes('<')) fail(`"<" in the value of ${attr}`, j);
      checkText(raw, j + 1);
      if (attr in node.attrs) fail(`duplicate attribute ${attr} in <${node.name}>`, j);
      node.attrs[attr] = decode(raw);
      j = close + 1;
    }
    const selfClosing = text.startsWith('/>', j);
    i = j + (selfClosing ? 2 : 1);
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else if (root) fail('a second root element', start);
    else root = node;
    if (!selfClosing) stack.push(node);
  }
  if (stack.length > 0) fail(`<${(stack[stack.length - 1] as XmlNode).name}> is never closed`);
  if (!root) fail('no root element');
  return { root: root as XmlNode, comments };
}

/** All descendants of `node` (depth first), optionally only those named `name`. */
export function descendants(node: XmlNode, name?: string): XmlNode[] {
  const out: XmlNode[] = [];
  const visit = (n: XmlNode): void => {
    for (const c of n.children) {
      if (!name || c.name === name) out.push(c);
      visit(c);
    }
  };
  visit(node);
  return out;
}
