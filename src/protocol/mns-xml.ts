/**
 * The small XML documents of the MNS queue API: flat elements in a root, in MNS's namespace.
 * Written and read here for the service's queue client and the simulator alike; nothing else in
 * the API needs a general XML parser.
 */

export const MNS_XMLNS = 'http://mns.aliyuncs.com/doc/v1/';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity]!;
  });
}

/** `<Root xmlns="…"><Name>value</Name>…</Root>` with a declaration. */
export function writeMnsXml(root: string, fields: Readonly<Record<string, string | number>>) {
  const body = Object.entries(fields)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="${MNS_XMLNS}">${body}</${root}>`;
}

export interface MnsDocument {
  root: string;
  fields: Record<string, string>;
}

/**
 * Reads a flat MNS document: the root element's name and its child elements' text. Undefined
 * when the text is not such a document (nested children are not part of this API's messages).
 */
export function readMnsXml(text: string): MnsDocument | undefined {
  const withoutDeclaration = text.replace(/^\s*<\?xml[^>]*\?>/, '').trim();
  const root = /^<([A-Za-z][\w.-]*)(?:\s[^>]*)?>([\s\S]*)<\/\1>$/.exec(withoutDeclaration);
  if (!root) return undefined;
  const fields: Record<string, string> = {};
  const child = /<([A-Za-z][\w.-]*)(?:\s[^>]*)?>([^<]*)<\/\1>|<([A-Za-z][\w.-]*)\s*\/>/g;
  let rest = root[2]!;
  for (const match of rest.matchAll(child)) {
    if (match[3]) fields[match[3]] = '';
    else fields[match[1]!] = unescapeXml(match[2]!);
  }
  rest = rest.replace(child, '').trim();
  if (rest !== '') return undefined;
  return { root: root[1]!, fields };
}
