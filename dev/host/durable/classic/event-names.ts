/**
 * v3 matches external event names case-sensitively; the core executor lower-cases every name it sees. Encoding each
 * upper-case character as `^` + its lower-case form (and `^` itself as `^^`) gives names that survive lower-casing
 * and stay distinct, so `Approval` and `approval` remain two events. Both the raising side (HTTP API) and the waiting
 * side (the classic context) encode; history shown to users is decoded.
 */
export function encodeEventName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (ch === '^') out += '^^';
    else if (ch.toLowerCase() !== ch) out += '^' + ch.toLowerCase();
    else out += ch;
  }
  return out;
}

/** Inverse of {@link encodeEventName} for names that were encoded with it (upper-case restored for ASCII and most scripts). */
export function decodeEventName(encoded: string): string {
  let out = '';
  const chars = [...encoded];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch !== '^') {
      out += ch;
      continue;
    }
    const next = chars[++i];
    if (next === undefined) break;
    out += next === '^' ? '^' : next.toUpperCase();
  }
  return out;
}
