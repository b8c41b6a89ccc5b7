/** The guest write the crash child repeats (and the parent makes first, so the model has it). */
export const CRASH_WRITE_OFFSET = (20 << 20) + 12345;
export const CRASH_WRITE = Buffer.alloc(70_000, 0x5a);
