import assert from "node:assert/strict";
import { join } from "node:path";
import { asmil } from "../../testing/asmil_process.ts";
import {
  type DoctorCheck,
  type DoctorReport,
  formatDoctor,
  installLine,
} from "./doctor.ts";

const NAMES = [
  "deno",
  "duckdb",
  "backend",
  "blas",
  "openslide",
  "sharp",
  "onnxruntime",
  "encoders",
  "chromium",
  "webgpu",
  "disk",
  "memory",
];
/** The optional pieces and the Debian packages that provide them. */
const PROVIDED_BY: Record<string, string> = {
  blas: "libopenblas0-pthread",
  openslide: "libopenslide0",
  chromium: "chromium",
};

Deno.test({
  name:
    "asmil doctor reports every piece on one aligned line, the apt-get line for what is missing, and exits 0 here",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const db = join(dir, "not-yet", "run.duckdb");
      const r = await asmil(["--db", db, "doctor"]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const lines = r.stdout.trimEnd().split("\n");
      const column = (name: string) => {
        const line = lines.find((l) =>
          new RegExp(`^\\S*\\s+${name}\\s`).test(l)
        );
        assert.ok(line, `no "${name}" line in:\n${r.stdout}`);
        return line.indexOf(name);
      };
      const names = [...NAMES, "install", "verdict"];
      assert.equal(new Set(names.map(column)).size, 1, "names not aligned");
      assert.match(r.stdout, /^ok +deno +\d+\.\d+\.\d+ \(V8 /m);
      assert.match(r.stdout, /^ok +duckdb +v\d/m);
      assert.match(
        r.stdout,
        /^\S+ +backend +auto → (blas|wasm|tensorflow|webgpu) /m,
      );
      // The adapter with what it is, or why there is none.
      assert.match(
        r.stdout,
        /^(ok|warn|missing) +webgpu +(not available: .+|.+ \(.*(hardware|software(, fallback adapter)?)\): .+)$/m,
      );
      assert.match(
        r.stdout,
        /^ok +onnxruntime +\d+\.\d+\.\d+, providers .*cpu/m,
      );
      assert.match(r.stdout, /^\S+ +disk +.* free in /m);
      assert.match(r.stdout, /verdict +the pipeline can run here/);
      const install = lines.find((l) => /^\s+install\s/.test(l))!;
      let missing = 0;
      for (const [name, pkg] of Object.entries(PROVIDED_BY)) {
        const absent = new RegExp(`^missing +${name} `, "m").test(r.stdout);
        if (absent) missing++;
        assert.equal(
          install.includes(` ${pkg}`),
          absent,
          `${name}: ${install}`,
        );
      }
      assert.match(install, missing > 0 ? /sudo apt-get install / : /nothing/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "asmil doctor --json gives every check with a status, and ok: true here",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const r = await asmil(["--db", ":memory:", "doctor", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as DoctorReport;
    assert.equal(report.ok, true);
    assert.deepEqual(report.checks.map((c) => c.name), NAMES);
    for (const c of report.checks) {
      assert.ok(
        ["ok", "warn", "missing"].includes(c.status),
        `${c.name}: ${c.status}`,
      );
      assert.ok(c.detail.length > 0);
      if (c.apt) assert.ok(Object.values(PROVIDED_BY).includes(c.apt), c.apt);
    }
    assert.equal(report.install, installLine(report.checks));
  },
});

Deno.test("formatDoctor() says the pipeline cannot run and names what failed", () => {
  const checks: DoctorCheck[] = [
    {
      name: "duckdb",
      status: "failed",
      detail: "no store",
      cost: "nothing stored",
    },
    { name: "chromium", status: "missing", detail: "none", apt: "chromium" },
    { name: "deno", status: "ok", detail: "2.9.6" },
  ];
  const text = formatDoctor({
    ok: false,
    db: ":memory:",
    checks,
    install: installLine(checks),
  });
  assert.match(text, /^FAILED +duckdb +no store — nothing stored$/m);
  assert.match(text, /^ +install +sudo apt-get install chromium$/m);
  assert.match(text, /verdict +the pipeline cannot run here: duckdb failed$/m);
});

Deno.test("installLine() lists each missing package once, none for present ones", () => {
  assert.equal(
    installLine([
      {
        name: "backend",
        status: "warn",
        detail: "",
        apt: "libopenblas0-pthread",
      },
      {
        name: "blas",
        status: "missing",
        detail: "",
        apt: "libopenblas0-pthread",
      },
      { name: "openslide", status: "ok", detail: "", apt: "libopenslide0" },
    ]),
    "sudo apt-get install libopenblas0-pthread",
  );
  assert.equal(installLine([{ name: "deno", status: "ok", detail: "" }]), null);
});
