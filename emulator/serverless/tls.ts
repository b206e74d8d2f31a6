// The emulator's own certificate authority, standing in for Vast's (served at /static/jvastai_root.cer,
// where Vast's client downloads Vast's root from), and the signing of worker certificates
// (POST /api/v0/sign_cert/?instance_id=, as Vast's worker start script asks). Uses the openssl CLI.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Authority {
  certPem: string;
  sign(csrPem: string, ip: string): string;
}

function openssl(args: string[], input?: string): string {
  const r = spawnSync("openssl", args, { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** A fresh CA in `dir` (one per emulator run). */
export function createAuthority(dir: string): Authority {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, "ca.key");
  const crt = join(dir, "ca.crt");
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30", "-subj", "/CN=vast-emulator root CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", key, "-out", crt]);
  let serial = 1;
  return {
    certPem: readFileSync(crt, "utf8"),
    sign(csrPem: string, ip: string): string {
      if (!/^[\d.]+$/.test(ip)) throw new Error(`bad ip ${ip}`);
      const n = serial++;
      const csr = join(dir, `w${n}.csr`);
      const ext = join(dir, `w${n}.ext`);
      writeFileSync(csr, csrPem);
      // The host's public IP is what the worker advertises; the CSR's own extensions are not trusted.
      writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:${ip}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`);
      return openssl(["x509", "-req", "-in", csr, "-CA", crt, "-CAkey", key, "-set_serial", String(1000 + n), "-days", "7", "-sha256", "-extfile", ext]);
    },
  };
}
