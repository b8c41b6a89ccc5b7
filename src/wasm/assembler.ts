// A tiny WebAssembly assembler: enough of the binary format (WebAssembly core spec 1.0, section 5)
// to write a few hot loops in readable TypeScript and get the module's bytes at load time, with
// nothing prebuilt checked in. Code is written as expressions that return their instructions'
// bytes, e.g. i64.add(get('h0'), i64.mul(get('a'), get('b'))), with locals named.

export type Code = number[];
export type ValueType = 'i32' | 'i64';

const TYPE_BYTE: Record<ValueType, number> = { i32: 0x7f, i64: 0x7e };

/** Unsigned LEB128 (indices, sizes, alignments, offsets). */
export function uleb(n: number): Code {
  const out: Code = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (constants). */
export function sleb(v: number | bigint): Code {
  let n = BigInt(v);
  const out: Code = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function name(s: string): Code {
  const b = [...Buffer.from(s, 'utf8')];
  return [...uleb(b.length), ...b];
}

function vec(items: Code[]): Code {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: Code): Code {
  return [id, ...uleb(body.length), ...body];
}

const op = (byte: number) => (...args: Code[]): Code => [...args.flat(), byte];
/** A memory access: alignment as log2 bytes (a hint only: unaligned access is legal), byte offset. */
const mem = (byte: number, align: number) => (address: Code, offset = 0, value?: Code): Code =>
  [...address, ...(value ?? []), byte, ...uleb(align), ...uleb(offset)];

export const i32 = {
  const: (v: number): Code => [0x41, ...sleb(v)],
  load: mem(0x28, 2),
  store: mem(0x36, 2),
  eqz: op(0x45),
  lt_u: op(0x49),
  ge_u: op(0x4f),
  add: op(0x6a),
  sub: op(0x6b),
  wrap_i64: op(0xa7),
};

export const i64 = {
  const: (v: number | bigint): Code => [0x42, ...sleb(v)],
  load: mem(0x29, 3),
  /** 32 bits at the address, zero-extended. */
  load32_u: mem(0x35, 2),
  store: mem(0x37, 3),
  /** The low 32 bits stored. */
  store32: mem(0x3e, 2),
  add: op(0x7c),
  sub: op(0x7d),
  mul: op(0x7e),
  and: op(0x83),
  or: op(0x84),
  shl: op(0x86),
  shr_u: op(0x88),
  extend_i32_u: op(0xad),
};

/** Structured control: `block` (br 0 leaves it) and `loop` (br 0 goes back to its start). */
export const block = (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b];
export const loop = (...body: Code[]): Code => [0x03, 0x40, ...body.flat(), 0x0b];
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];
export const brIf = (depth: number, cond: Code): Code => [...cond, 0x0d, ...uleb(depth)];

export interface FunctionDef {
  /** Exported under this name. */
  name: string;
  params: Array<[string, ValueType]>;
  locals: Array<[string, ValueType]>;
  /** The body, given a way to name locals: get('x'), set('x', value). */
  body: (l: { get: (n: string) => Code; set: (n: string, v: Code) => Code }) => Code[];
}

/** A module that imports one memory as env.memory and exports the given functions (no results). */
export function assembleModule(functions: FunctionDef[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map(([, t]) => [TYPE_BYTE[t]])), ...vec([])]);
  const importSection = vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]]);
  const code = functions.map((f) => {
    const index = new Map<string, number>();
    for (const [n] of [...f.params, ...f.locals]) {
      if (index.has(n)) throw new Error(`wasm: local ${n} declared twice in ${f.name}`);
      index.set(n, index.size);
    }
    const at = (n: string) => {
      const i = index.get(n);
      if (i === undefined) throw new Error(`wasm: no local ${n} in ${f.name}`);
      return uleb(i);
    };
    const body = f.body({ get: (n) => [0x20, ...at(n)], set: (n, v) => [...v, 0x21, ...at(n)] }).flat();
    const locals = vec(f.locals.map(([, t]) => [...uleb(1), TYPE_BYTE[t]]));
    const fn = [...locals, ...body, 0x0b];
    return [...uleb(fn.length), ...fn];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, importSection),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(code)),
  ]);
}
