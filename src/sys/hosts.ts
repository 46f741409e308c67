/**
 * The hosts file (`/etc/hosts`, hosts(5)), read in the calling thread: names listed there resolve
 * without a resolver thread, as glibc's `files` source would answer them.
 *
 * Format: one address a line, then its names (canonical name and aliases), separated by spaces
 * or tabs; `#` starts a comment. Names match without regard to case, and a name on several lines
 * has all their addresses, in file order. A line whose address is not an IPv4 dotted quad or IPv6
 * text without zone id (`fe80::1%eth0`) is skipped, as are lines without a name.
 *
 * The file is read again when it changes (its inode, size, or modification or change time), so a
 * lookup costs one `stat` and a map look-up; glibc reads the whole file on every lookup. File
 * times tick coarsely (a few ms), so two writes of the same size can leave the same times behind:
 * a file changed less than `RACY_MS` before it was read is read again at every lookup until it
 * is older (git's "racy" index entries, the same problem).
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { parseIp, type IpAddress } from "./addr.js";

/** A file changed this recently (ms) when read may change again without its times moving. */
const RACY_MS = 1_000;

/** Every name of hosts-file text, lower-cased, with its addresses in file order (no repeats). */
export function parseHosts(text: string): Map<string, IpAddress[]> {
  const names = new Map<string, IpAddress[]>();
  for (const raw of text.split("\n")) {
    const hash = raw.indexOf("#");
    const fields = (hash >= 0 ? raw.slice(0, hash) : raw).split(/[ \t\r\f\v]+/).filter((f) => f !== "");
    if (fields.length < 2) continue;
    const ip = parseIp(fields[0]!);
    if (ip === null) continue;
    for (let i = 1; i < fields.length; i++) {
      const name = fields[i]!.toLowerCase();
      let list = names.get(name);
      if (list === undefined) names.set(name, (list = []));
      if (!list.some((a) => sameIp(a, ip))) list.push(ip);
    }
  }
  return names;
}

function sameIp(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.bytes.every((x, i) => x === b.bytes[i]);
}

/**
 * A hosts file, re-read when it changes. A file that is missing or unreadable lists nothing
 * (glibc then goes on to DNS as well).
 *
 * @example
 * ```ts
 * const hosts = new HostsFile("/etc/hosts");
 * hosts.lookup("localhost"); // [{ family: 4, bytes: Uint8Array [127, 0, 0, 1] }]
 * ```
 */
export class HostsFile {
  private names = new Map<string, IpAddress[]>();
  /** What the last read saw (inode, size, times), or null: read at the next lookup. */
  private version: string | null = null;

  constructor(readonly path: string) {}

  /** The addresses listed for `name` (any case), or undefined when it is not listed. */
  lookup(name: string): readonly IpAddress[] | undefined {
    this.refresh();
    return this.names.get(name.toLowerCase());
  }

  private refresh(): void {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(this.path, { throwIfNoEntry: false });
    } catch {
      st = undefined; // a directory on the way that cannot be searched: as missing
    }
    const version = st === undefined ? "missing" : `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    if (version === this.version) return;
    const racy = st !== undefined && Date.now() - Math.max(st.mtimeMs, st.ctimeMs) < RACY_MS;
    this.version = racy ? null : version;
    let text = "";
    try {
      if (st !== undefined) text = readFileSync(this.path, "latin1");
    } catch {
      // unreadable (permissions, a directory): nothing is listed, as for a missing file
    }
    this.names = parseHosts(text);
  }
}
