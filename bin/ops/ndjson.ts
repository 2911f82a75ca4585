import { open } from 'node:fs/promises';

/** One line of a file with where it ends (the byte offset just after its newline). */
export interface FileLine {
  /** 1-based. */
  readonly number: number;
  /** Without the line break; null when the line is longer than the limit (it is skipped, not held). */
  readonly text: string | null;
  /** Byte offset after this line (and its `\n`): where reading resumes after it. */
  readonly end: number;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Reads `path` from byte `start` line by line with exact byte offsets (readline gives none), so an
 * import can record how far it got and resume there. Lines longer than `maxLineBytes` come back with
 * `text: null` without being buffered whole.
 */
export async function* readLines(
  path: string,
  start: number,
  firstNumber: number,
  maxLineBytes: number,
): AsyncGenerator<FileLine> {
  const handle = await open(path, 'r');
  try {
    let position = start;
    let number = firstNumber;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let oversized = false;
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      let from = 0;
      for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
        const piece = chunk.subarray(from, nl);
        const end = position + nl + 1;
        const tooLong = oversized || pendingBytes + piece.length > maxLineBytes;
        const text = tooLong ? null : decode(Buffer.concat([...pending, piece]), number === 1 && start === 0);
        yield { number, text, end };
        number++;
        pending = [];
        pendingBytes = 0;
        oversized = false;
        from = nl + 1;
      }
      const rest = chunk.subarray(from);
      if (oversized || pendingBytes + rest.length > maxLineBytes) {
        oversized = true;
        pending = [];
        pendingBytes = 0;
      } else {
        pending.push(Buffer.from(rest));
        pendingBytes += rest.length;
      }
      position += bytesRead;
    }
    if (oversized || pendingBytes > 0) {
      const text = oversized ? null : decode(Buffer.concat(pending), number === 1 && start === 0);
      yield { number, text, end: position };
    }
  } finally {
    await handle.close();
  }
}

function decode(bytes: Buffer, first: boolean): string {
  let text = bytes.toString('utf8');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}
