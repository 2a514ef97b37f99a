/**
 * A few DOM helpers for the UI: element creation without innerHTML (no markup is ever built
 * from data), and attribute tables.
 */

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

/** `h('a', { href: '#/x', class: 'y' }, 'text')`: attributes, `on<event>` listeners, children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

/** Replace a container's content. */
export function show(container: Element, ...children: Child[]): void {
  container.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

/**
 * An attribute key that may wrap only after its separators (`http.response.status_code` after
 * a dot or an underscore), never inside a word: the text with a <wbr> after each `.`, `_`, `-`,
 * `/` and `:`. The table's CSS forbids other breaks.
 */
function breakableKey(key: string): Node[] {
  const out: Node[] = [];
  for (const part of key.split(/(?<=[._\-/:])/)) out.push(document.createTextNode(part), document.createElement('wbr'));
  out.pop();
  return out;
}

/** A table of attributes (key → value), sorted by key; values keep their newlines (stack traces). */
export function attributeTable(caption: string, attrs: Record<string, string>): HTMLElement {
  const keys = Object.keys(attrs).sort();
  if (keys.length === 0) return h('p', { class: 'muted' }, `${caption}: none`);
  return h('table', { class: 'attrs' },
    h('caption', {}, caption),
    h('tbody', {}, ...keys.map((k) => h('tr', {}, h('th', { scope: 'row' }, ...breakableKey(k)), h('td', {}, attrs[k]!)))),
  );
}
