import { writeSync } from 'node:fs';

const CHUNK_BYTES = 4 << 20;

/** Appends lines to a file descriptor through one large reusable buffer. */
export class ChunkWriter {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  constructor(private readonly fd: number) {}

  line(text: string): void {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes.
    const worst = text.length * 3 + 1;
    if (this.used + worst > this.buf.length) {
      this.flush();
      if (worst > this.buf.length) this.buf = Buffer.allocUnsafe(worst);
    }
    this.used += this.buf.write(text, this.used);
    this.buf[this.used++] = 10;
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }
}
