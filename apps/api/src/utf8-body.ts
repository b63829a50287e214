// Keeps a BOM in the text, so JSON.parse rejects it as before rather than skipping it.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * What a byte that is not part of valid UTF-8 becomes: an unpaired surrogate, which decoding
 * valid UTF-8 never yields. JSON.parse keeps it inside a string, and the unstorable-text check
 * that runs before validation then names that field (instead of storing U+FFFD, which is
 * what a lenient decoder would have made of the byte).
 */
export const INVALID_BYTE_MARK = '\udfff';

/**
 * A request body's bytes as text: decoded strictly as UTF-8 when they are UTF-8 (the common
 * case, one native call), otherwise with every invalid byte replaced by INVALID_BYTE_MARK.
 */
export function decodeUtf8Body(bytes: Buffer): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return decodeMarkingInvalid(bytes);
  }
}

function decodeMarkingInvalid(bytes: Buffer): string {
  let text = '';
  let start = 0;
  let index = 0;
  while (index < bytes.length) {
    const length = sequenceLength(bytes, index);
    if (length > 0) {
      index += length;
      continue;
    }
    text += bytes.toString('utf8', start, index) + INVALID_BYTE_MARK;
    index += 1;
    start = index;
  }
  return text + bytes.toString('utf8', start);
}

const isContinuation = (byte: number | undefined) => byte !== undefined && byte >= 0x80 && byte <= 0xbf;
const within = (byte: number | undefined, low: number, high: number) =>
  byte !== undefined && byte >= low && byte <= high;

// The length of the well-formed UTF-8 sequence at `index` (Unicode table 3-7), or 0: no
// overlong forms, no encoded surrogates (ED A0..BF), nothing above U+10FFFF.
function sequenceLength(bytes: Buffer, index: number): number {
  const first = bytes[index] as number;
  if (first < 0x80) return 1;
  const second = bytes[index + 1];
  if (first >= 0xc2 && first <= 0xdf) return isContinuation(second) ? 2 : 0;
  if (first >= 0xe0 && first <= 0xef) {
    const low = first === 0xe0 ? 0xa0 : 0x80;
    const high = first === 0xed ? 0x9f : 0xbf;
    return within(second, low, high) && isContinuation(bytes[index + 2]) ? 3 : 0;
  }
  if (first >= 0xf0 && first <= 0xf4) {
    const low = first === 0xf0 ? 0x90 : 0x80;
    const high = first === 0xf4 ? 0x8f : 0xbf;
    return within(second, low, high) && isContinuation(bytes[index + 2]) && isContinuation(bytes[index + 3])
      ? 4
      : 0;
  }
  return 0;
}
