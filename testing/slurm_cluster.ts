/**
 * For tests: a one-node Slurm cluster on this machine, run as root without
 * systemd. `munged` with a fresh key, `slurmctld` and `slurmd` with a small
 * slurm.conf, every socket, state, spool, pid and log file in one
 * temporary folder, ports picked free. `stop()` ends exactly the daemons
 * it started (by their pid files) and removes the folder.
 *
 * @module
 */
import { join } from "node:path";

/** A running one-node cluster. */
export interface SlurmCluster {
  /** Folder holding the configuration, state and logs. */
  dir: string;
  /** Environment for Slurm clients (`SLURM_CONF`). */
  env: Record<string, string>;
  /** Runs a Slurm client (`sbatch`, `squeue`, …) against this cluster. */
  client(
    command: string,
    args: string[],
    options?: { env?: Record<string, string>; timeoutMs?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The daemons' logs, for a failure message. */
  logs(): Promise<string>;
  /** Stops the daemons and removes {@link SlurmCluster.dir}. */
  stop(): Promise<void>;
}

async function output(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
    ...(options.env ? { env: options.env } : {}),
  }).spawn();
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  }, options.timeoutMs);
  try {
    const out = await child.output();
    const text = new TextDecoder();
    return {
      code: out.code,
      stdout: text.decode(out.stdout),
      stderr: text.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

async function run(command: string, args: string[]): Promise<string> {
  const r = await output(command, args);
  if (r.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${r.code}): ${r.stderr}${r.stdout}`,
    );
  }
  return r.stdout;
}

/**
 * A TCP port no socket uses now, from /proc (the test runner grants no
 * network permission to try one).
 */
function freePort(): number {
  const used = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    try {
      for (const line of Deno.readTextFileSync(table).split("\n").slice(1)) {
        const local = line.trim().split(/\s+/)[1];
        if (local) used.add(parseInt(local.split(":").at(-1)!, 16));
      }
    } catch { /* no IPv6 */ }
  }
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if (!used.has(port)) return port;
  }
}

/** CPUs and memory (MB) of this node as slurmd sees them. */
async function nodeResources(): Promise<{ cpus: number; memory: number }> {
  const text = await run("slurmd", ["-C"]);
  const cpus = Number(/CPUs=(\d+)/.exec(text)?.[1]);
  const memory = Number(/RealMemory=(\d+)/.exec(text)?.[1]);
  if (!(cpus > 0 && memory > 0)) {
    throw new Error(
      `Cannot read this node's CPUs and memory from slurmd -C: ${text}`,
    );
  }
  return { cpus, memory };
}

function slurmConf(dir: string, host: string, cpus: number, memory: number) {
  return `ClusterName=asmilci
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${freePort()}
SlurmdPort=${freePort()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${dir}/munge/munge.socket
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
NodeName=asmilci NodeHostname=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`;
}

async function pidIn(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(file)).trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs (a zombie left for a non-reaping init does not). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function waitFor(
  what: string,
  ok: () => Promise<boolean>,
  ms: number,
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Starts munged, slurmctld and slurmd (as root) and waits until the node
 * is idle. On a failure to start, what was started is stopped again.
 *
 * @example
 * ```ts ignore
 * const cluster = await startSlurmCluster();
 * try {
 *   await cluster.client("sbatch", ["--wait", "--wrap", "true"]);
 * } finally {
 *   await cluster.stop();
 * }
 * ```
 */
export async function startSlurmCluster(): Promise<SlurmCluster> {
  if (Deno.uid() !== 0) {
    throw new Error(
      "A test Slurm cluster runs its daemons as root: run this test as root",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "asmil-slurm-" });
  await Deno.chmod(dir, 0o755);
  for (const sub of ["munge", "state", "spool", "log"]) {
    await Deno.mkdir(join(dir, sub), { mode: 0o755 });
  }
  const conf = join(dir, "slurm.conf");
  const env = { SLURM_CONF: conf };
  const pidFiles = [
    join(dir, "slurmd.pid"),
    join(dir, "slurmctld.pid"),
    join(dir, "munge", "munged.pid"),
  ];
  const cluster: SlurmCluster = {
    dir,
    env,
    client: (command, args, options = {}) =>
      output(command, args, {
        ...options,
        env: { ...env, ...options.env },
      }),
    async logs() {
      const parts: string[] = [];
      for await (const e of Deno.readDir(join(dir, "log"))) {
        const text = await Deno.readTextFile(join(dir, "log", e.name));
        parts.push(`--- ${e.name}\n${text.split("\n").slice(-40).join("\n")}`);
      }
      return parts.join("\n");
    },
    async stop() {
      const pids = (await Promise.all(pidFiles.map(pidIn))).filter((p) =>
        p !== undefined
      );
      for (const pid of pids) {
        try {
          Deno.kill(pid, "SIGTERM");
        } catch { /* already gone */ }
      }
      try {
        await waitFor(
          "the Slurm daemons to stop",
          () => Promise.resolve(!pids.some(alive)),
          15_000,
        );
      } catch {
        for (const pid of pids.filter(alive)) Deno.kill(pid, "SIGKILL");
      }
      // A job step's slurmstepd may still be writing to the spool folder.
      for (let attempt = 0;; attempt++) {
        try {
          await Deno.remove(dir, { recursive: true });
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    },
  };
  try {
    const key = new Uint8Array(1024);
    crypto.getRandomValues(key);
    await Deno.writeFile(join(dir, "munge", "munge.key"), key, { mode: 0o400 });
    await run("munged", [
      "--force",
      `--key-file=${dir}/munge/munge.key`,
      `--socket=${dir}/munge/munge.socket`,
      `--pid-file=${dir}/munge/munged.pid`,
      `--log-file=${dir}/log/munged.log`,
      `--seed-file=${dir}/munge/munged.seed`,
    ]);
    const { cpus, memory } = await nodeResources();
    await Deno.writeTextFile(
      conf,
      slurmConf(dir, Deno.hostname(), cpus, memory),
    );
    await run("slurmctld", ["-f", conf]);
    await run("slurmd", ["-f", conf, "-N", "asmilci"]);
    await waitFor("the Slurm node to be idle", async () => {
      const r = await cluster.client("sinfo", ["-h", "-o", "%T"]);
      return r.code === 0 && r.stdout.trim() === "idle";
    }, 30_000);
    return cluster;
  } catch (error) {
    const logs = await cluster.logs().catch(() => "");
    await cluster.stop();
    throw new Error(`Cannot start a one-node Slurm cluster: ${error}\n${logs}`);
  }
}
