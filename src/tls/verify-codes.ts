/**
 * Certificate verification results (`X509_V_ERR_*`, what `SSL_get_verify_result` returns) named
 * as Node names them, so a program that branches on `err.code` with `node:https` keeps working.
 *
 * @module
 */

/**
 * `X509_V_ERR_*` numbers (OpenSSL 3's, the same in 3.0 and 3.5) to Node's codes. Node maps the
 * same list (its `X509ErrorCode`); the rest are `"UNSPECIFIED"` there, and here too.
 */
const NODE_CODES: Readonly<Record<number, string>> = {
  2: "UNABLE_TO_GET_ISSUER_CERT",
  3: "UNABLE_TO_GET_CRL",
  4: "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  5: "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
  6: "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  7: "CERT_SIGNATURE_FAILURE",
  8: "CRL_SIGNATURE_FAILURE",
  9: "CERT_NOT_YET_VALID",
  10: "CERT_HAS_EXPIRED",
  11: "CRL_NOT_YET_VALID",
  12: "CRL_HAS_EXPIRED",
  13: "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  14: "ERROR_IN_CERT_NOT_AFTER_FIELD",
  15: "ERROR_IN_CRL_LAST_UPDATE_FIELD",
  16: "ERROR_IN_CRL_NEXT_UPDATE_FIELD",
  17: "OUT_OF_MEM",
  18: "DEPTH_ZERO_SELF_SIGNED_CERT",
  19: "SELF_SIGNED_CERT_IN_CHAIN",
  20: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  21: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  22: "CERT_CHAIN_TOO_LONG",
  23: "CERT_REVOKED",
  25: "PATH_LENGTH_EXCEEDED",
  26: "INVALID_PURPOSE",
  27: "CERT_UNTRUSTED",
  28: "CERT_REJECTED",
  79: "INVALID_CA",
};

/** `X509_V_ERR_HOSTNAME_MISMATCH` and `X509_V_ERR_IP_ADDRESS_MISMATCH`: the certificate names another host. */
const NAME_MISMATCH = new Set([62, 64]);

/**
 * Node's code for a verification result: `"ERR_TLS_CERT_ALTNAME_INVALID"` for a certificate that
 * does not name the host (Node's `checkServerIdentity` error; OpenSSL checks it here, through
 * `SSL_set1_host`), else the `X509_V_ERR_` name Node gives it.
 */
export function verifyErrorCode(result: number): string {
  if (NAME_MISMATCH.has(result)) return "ERR_TLS_CERT_ALTNAME_INVALID";
  return NODE_CODES[result] ?? "UNSPECIFIED";
}
