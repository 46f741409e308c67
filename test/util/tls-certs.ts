/**
 * Certificates for the TLS tests, made with the `openssl` command line in a fresh temporary
 * directory (EC P-256 keys: quick to make). What {@link makeCertificates} returns:
 *
 * - `ca`: a root CA (`CA:TRUE`), trusted only when a test passes it as `ca`;
 * - `leaf`: `CN=localhost`, SAN `DNS:localhost, IP:127.0.0.1`, signed by `ca`, valid now;
 * - `chain`: `leaf` followed by `ca` (a server that sends its root too);
 * - `expired`: the same names, signed by `ca` through `openssl ca -startdate/-enddate`, valid
 *   only in January 2020;
 * - `selfSigned`: a self-signed certificate for the same names;
 * - `otherName`: signed by `ca` for `DNS:other.test` only.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate (PEM, possibly a chain) and its private key (PEM). */
export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestCertificates {
  dir: string;
  /** The CA's certificate, PEM. */
  ca: string;
  /** The CA certificate's file. */
  caFile: string;
  leaf: KeyPair;
  chain: KeyPair;
  expired: KeyPair;
  selfSigned: KeyPair;
  otherName: KeyPair;
  /** Removes the directory. */
  remove(): void;
}

const SERVER_EXT = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n";
const LOCAL_NAMES = "subjectAltName=DNS:localhost,IP:127.0.0.1\n";

/** Makes the set of certificates in a new temporary directory (about a second of `openssl` runs). */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "re-tls-"));
  const path = (f: string): string => join(dir, f);
  const openssl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  };
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const read = (f: string): string => readFileSync(path(f), "utf8");

  openssl(
    "req",
    "-x509",
    ...newKey,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "3650",
    "-subj",
    "/CN=reactor-executor test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  writeFileSync(path("local.ext"), SERVER_EXT + LOCAL_NAMES);
  writeFileSync(path("other.ext"), SERVER_EXT + "subjectAltName=DNS:other.test\n");

  openssl("req", ...newKey, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost");
  openssl(
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "365",
    "-extfile",
    "local.ext",
  );

  openssl("req", ...newKey, "-keyout", "other.key", "-out", "other.csr", "-subj", "/CN=other.test");
  openssl(
    "x509",
    "-req",
    "-in",
    "other.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "other.pem",
    "-days",
    "365",
    "-extfile",
    "other.ext",
  );

  // `openssl ca` is the command that takes explicit validity dates: it needs a minimal database.
  writeFileSync(path("index.txt"), "");
  writeFileSync(path("serial"), "1000\n");
  writeFileSync(
    path("ca.cnf"),
    [
      "[ca]",
      "default_ca = test_ca",
      "[test_ca]",
      `dir = ${dir}`,
      "database = $dir/index.txt",
      "new_certs_dir = $dir",
      "serial = $dir/serial",
      "certificate = $dir/ca.pem",
      "private_key = $dir/ca.key",
      "default_md = sha256",
      "policy = any",
      "unique_subject = no",
      "[any]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  openssl(
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-in",
    "leaf.csr",
    "-out",
    "expired.pem",
    "-notext",
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200201000000Z",
    "-extfile",
    "local.ext",
  );

  openssl(
    "req",
    "-x509",
    ...newKey,
    "-keyout",
    "self.key",
    "-out",
    "self.pem",
    "-days",
    "365",
    "-subj",
    "/CN=localhost",
    "-addext",
    LOCAL_NAMES.trim(),
  );

  const leaf = { cert: read("leaf.pem"), key: read("leaf.key") };
  return {
    dir,
    ca: read("ca.pem"),
    caFile: path("ca.pem"),
    leaf,
    chain: { cert: leaf.cert + read("ca.pem"), key: leaf.key },
    expired: { cert: read("expired.pem"), key: leaf.key },
    selfSigned: { cert: read("self.pem"), key: read("self.key") },
    otherName: { cert: read("other.pem"), key: read("other.key") },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
