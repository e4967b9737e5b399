import { writeSync } from 'node:fs';

const CHUNK_BYTES = 4 << 20;
/** Lines joined into one string before encoding: one Buffer write per batch costs far less than one per line. */
const BATCH_LINES = 512;

/** Appends lines to a file descriptor through one large reusable buffer. */
export class ChunkWriter {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private batch: string[] = [];

  constructor(private readonly fd: number) {}

  line(text: string): void {
    if (this.batch.push(text) === BATCH_LINES) this.encodeBatch();
  }

  flush(): void {
    this.encodeBatch();
    this.writeBuffer();
  }

  private encodeBatch(): void {
    if (this.batch.length === 0) return;
    this.batch.push('');
    const text = this.batch.join('\n');
    this.batch = [];
    // A UTF-16 code unit takes at most 3 UTF-8 bytes.
    const worst = text.length * 3;
    if (this.used + worst > this.buf.length) {
      this.writeBuffer();
      if (worst > this.buf.length) this.buf = Buffer.allocUnsafe(worst);
    }
    this.used += this.buf.write(text, this.used);
  }

  private writeBuffer(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }
}
