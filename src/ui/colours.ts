/**
 * A colour per service, the same in every trace and on every visit: picked by a hash of the
 * service name, not by its order in the trace. No reds in the palette, so that red stays the mark
 * of an error. Two services may share a colour (twelve colours); the legend and the service names
 * in the tree tell them apart.
 */
const PALETTE = [
  '#2563eb', '#0d9488', '#d97706', '#7c3aed', '#16a34a', '#db2777',
  '#0891b2', '#4f46e5', '#65a30d', '#a16207', '#475569', '#c026d3',
] as const;

/** FNV-1a, 32 bits, over the name's UTF-16 code units. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function serviceColour(service: string): string {
  return PALETTE[hash(service) % PALETTE.length]!;
}

/** The i-th colour of the palette: lines of one chart that must differ (src/ui/chart.ts). */
export function paletteColour(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
