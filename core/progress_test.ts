import assert from "node:assert/strict";
import { formatDuration, Progress } from "./progress.ts";

function fake() {
  let t = 0;
  const out: string[] = [];
  return {
    out,
    advance: (ms: number) => (t += ms),
    options: { now: () => t, write: (s: string) => out.push(s) },
  };
}

Deno.test("Progress reports count, rate and ETA in line mode", () => {
  const f = fake();
  const p = new Progress("embed", {
    ...f.options,
    total: 100,
    unit: "tiles",
    tty: false,
    lineInterval: 1000,
  });
  f.advance(2000);
  p.tick(50, "slide s1");
  assert.equal(f.out.length, 1);
  assert.match(
    f.out[0] as string,
    /embed {2}50\/100 tiles {2}25 tiles\/s {2}ETA 2s {2}slide s1/,
  );
  f.advance(100);
  p.tick(1);
  assert.equal(f.out.length, 1, "no line before the interval");
  f.advance(1900);
  p.tick(49);
  p.done();
  assert.match(f.out.at(-1) as string, /100\/100 tiles .* in 4s/);
});

Deno.test("Progress draws a bar in place on a terminal", () => {
  const f = fake();
  const p = new Progress("tile", { ...f.options, total: 4, tty: true });
  f.advance(1000);
  p.tick(2);
  const drawn = f.out[0] as string;
  assert.ok(drawn.startsWith("\r\x1b[2K"), "redraws in place");
  assert.match(drawn.slice(5), /^tile {2}\[#{10}-{10}\] {2}2\/4 items/);
});

Deno.test("Progress prints nothing when quiet", () => {
  const f = fake();
  const p = new Progress("train", { ...f.options, quiet: true, total: 2 });
  p.tick();
  p.log("hello");
  p.done();
  assert.deepEqual(f.out, []);
});

Deno.test("formatDuration() reads naturally", () => {
  assert.equal(formatDuration(5), "5s");
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(3720), "1h02m");
  assert.equal(formatDuration(Infinity), "?");
});
