/**
 * Real files as nodes of h5wasm's emscripten file system. HDF5 calls
 * `pread`/`pwrite` on the node and they go straight to the file on disk
 * through a `Deno.FsFile`, so only the bytes HDF5 asks for come into memory;
 * the in-memory file system would hold the whole file (and copy it again on
 * the way in and out).
 *
 * @module
 */

/** The part of emscripten's `FS` that attaching a file needs. */
export interface EmscriptenFs {
  mkdir(path: string): unknown;
  analyzePath(path: string): { exists: boolean; object: EmscriptenNode };
  createNode(
    parent: EmscriptenNode,
    name: string,
    mode: number,
    rdev: number,
  ): EmscriptenNode;
  destroyNode(node: EmscriptenNode): void;
  ErrnoError: new (errno: number) => Error;
}

/** An emscripten file system node (only what is set here is typed). */
export interface EmscriptenNode {
  id: number;
  mode: number;
  node_ops: unknown;
  stream_ops: unknown;
  size?: number;
}

interface Stream {
  node: EmscriptenNode & { size: number };
  position: number;
}

/**
 * Moves `length` bytes between `buffer` (from `offset`) and the file at
 * `position`; returns how many moved.
 */
type StreamTransfer = (
  s: Stream,
  buffer: Int8Array,
  offset: number,
  length: number,
  position: number,
) => number;

/** The stream operations of a node, as Emscripten's FS calls them. */
interface StreamOps {
  read: StreamTransfer;
  write: StreamTransfer;
  llseek(s: Stream, offset: number, whence: number): number;
}

/** Reads and writes of an attached file, for tests and benches. */

export interface DiskTrace {
  reads: number;
  bytesRead: number;
  largestRead: number;
}

/** A file attached to the wasm file system; `detach()` removes the node. */
export interface AttachedFile {
  /** Its path inside the wasm file system, for `h5wasm.File`. */
  path: string;
  trace: DiskTrace;
  detach(): void;
}

const DIR = "/asmil_disk";
const EIO = 29, EINVAL = 28;
let counter = 0;

/**
 * Makes `file` (opened by the caller, who also closes it) readable — and
 * writable when `writable` — at a fresh path in the wasm file system.
 */
export function attachFile(
  fs: EmscriptenFs,
  file: Deno.FsFile,
  writable: boolean,
): AttachedFile {
  if (!fs.analyzePath(DIR).exists) fs.mkdir(DIR);
  const parent = fs.analyzePath(DIR).object;
  const name = `${Deno.pid}_${counter++}.h5`;
  const mode = writable ? 0o100666 : 0o100444;
  const node = fs.createNode(parent, name, mode, 0) as Stream["node"];
  node.size = file.statSync().size;
  const trace: DiskTrace = { reads: 0, bytesRead: 0, largestRead: 0 };
  const io = <T>(op: () => T): T => {
    try {
      return op();
    } catch (cause) {
      if (cause instanceof fs.ErrnoError) throw cause;
      // HDF5 sees EIO; the cause is lost across the wasm boundary.
      throw new fs.ErrnoError(EIO);
    }
  };
  node.node_ops = {
    getattr: (n: Stream["node"]) => {
      const now = new Date();
      return {
        dev: 1,
        ino: n.id,
        mode: n.mode,
        nlink: 1,
        uid: 0,
        gid: 0,
        rdev: 0,
        size: n.size,
        atime: now,
        mtime: now,
        ctime: now,
        blksize: 4096,
        blocks: Math.ceil(n.size / 4096),
      };
    },
    setattr: (n: Stream["node"], attr: { size?: number }) => {
      if (attr.size === undefined) return;
      if (!writable) throw new fs.ErrnoError(EINVAL);
      io(() => file.truncateSync(attr.size));
      n.size = attr.size;
    },
  };
  /** The `length` bytes of Emscripten's `buffer` from `offset`, without a copy. */
  const bytes = (buffer: Int8Array, offset: number, length: number) =>
    new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
  const streamOps: StreamOps = {
    read(s, buffer, offset, length, position) {
      const end = Math.min(position + length, s.node.size);
      if (end <= position) return 0;
      const view = bytes(buffer, offset, end - position);
      io(() => {
        file.seekSync(position, Deno.SeekMode.Start);
        for (let done = 0; done < view.length;) {
          const n = file.readSync(view.subarray(done));
          if (n === null) throw new Error("unexpected end of file");
          done += n;
        }
      });
      trace.reads++;
      trace.bytesRead += view.length;
      trace.largestRead = Math.max(trace.largestRead, view.length);
      return view.length;
    },
    write(s, buffer, offset, length, position) {
      if (!writable) throw new fs.ErrnoError(EINVAL);
      const view = bytes(buffer, offset, length);
      io(() => {
        file.seekSync(position, Deno.SeekMode.Start);
        for (let done = 0; done < length;) {
          done += file.writeSync(view.subarray(done));
        }
      });
      s.node.size = Math.max(s.node.size, position + length);
      return length;
    },
    llseek(s, offset, whence) {
      const base = whence === 1 ? s.position : whence === 2 ? s.node.size : 0;
      if (base + offset < 0) throw new fs.ErrnoError(EINVAL);
      return base + offset;
    },
  };
  node.stream_ops = streamOps;
  return {
    path: `${DIR}/${name}`,
    trace,
    detach: () => fs.destroyNode(node),
  };
}
