// Differential test of src/graph/padding.c against TensorFlow's own padding code:
// tfjs-core's backend_util.computeConv2DInfo / computePool2DInfo / computeConv3DInfo /
// computePool3DInfo (the same SAME/VALID rules as TF's kernel_shape_util). Draws
// seeded random windows, asks tfjs and tests/tools/padding_eval.c, and requires the
// output sizes and every pad to agree exactly.
//
// usage: node padding_diff.js PADDING_EVAL NPM_PREFIX [COUNT] [SEED]
'use strict';

const path = require('path');
const { spawnSync } = require('child_process');

const [evalPath, npmPrefix, countArg, seedArg] = process.argv.slice(2);
if (!evalPath || !npmPrefix) {
  console.error('usage: node padding_diff.js PADDING_EVAL NPM_PREFIX [COUNT] [SEED]');
  process.exit(2);
}
const COUNT = Number(countArg || 3000);
const SEED = Number(seedArg || 20261130);
const MIN_COMPARED = 2000;

const tf = require(path.join(npmPrefix, 'node_modules', '@tensorflow', 'tfjs-core'));
const bu = tf.backend_util;

// mulberry32: a tiny seeded generator so every run draws the same windows.
function makeRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = makeRandom(SEED);
const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const draw = (n, lo, hi) => Array.from({ length: n }, () => between(lo, hi));

// One random window: which tfjs function checks it and with what arguments.
function drawCase(i) {
  const families = ['conv2d', 'conv2d', 'conv2d', 'conv2d', 'pool2d', 'pool2d', 'pool2d',
                    'conv3d', 'pool3d', 'explicit2d'];
  const family = families[i % families.length];
  const spatial = family.endsWith('3d') ? 3 : 2;
  const c = {
    family, spatial,
    n: draw(spatial, 1, 40), k: draw(spatial, 1, 7), s: draw(spatial, 1, 4),
    d: draw(spatial, 1, 3), pad: random() < 0.5 ? 'same' : 'valid', pads: null,
  };
  if (family === 'explicit2d')
    c.pads = draw(4, 0, 3); // top, left, bottom, right (ONNX order)
  return c;
}

// What TensorFlow computes: { out: [...], begin: [...], end: [...] }.
function tfjsExpect(c) {
  const [n, k] = [c.n, c.k];
  if (c.family === 'conv2d' || c.family === 'explicit2d' || c.family === 'pool2d') {
    const tfPad = c.pads ? [[0, 0], [c.pads[0], c.pads[2]], [c.pads[1], c.pads[3]], [0, 0]] : c.pad;
    const rounding = c.pads ? 'floor' : undefined;
    const info = c.family === 'pool2d'
      ? bu.computePool2DInfo([1, n[0], n[1], 1], k, c.s, c.d, tfPad, rounding)
      : bu.computeConv2DInfo([1, n[0], n[1], 1], [k[0], k[1], 1, 1], c.s, c.d, tfPad, rounding);
    const p = info.padInfo;
    return {
      out: [info.outHeight, info.outWidth], begin: [p.top, p.left], end: [p.bottom, p.right],
    };
  }
  const info = c.family === 'pool3d'
    ? bu.computePool3DInfo([1, n[0], n[1], n[2], 1], k, c.s, c.d, c.pad)
    : bu.computeConv3DInfo([1, n[0], n[1], n[2], 1], [k[0], k[1], k[2], 1, 1], c.s, c.d, c.pad);
  const p = info.padInfo;
  return {
    out: [info.outDepth, info.outHeight, info.outWidth],
    begin: [p.front, p.top, p.left], end: [p.back, p.bottom, p.right],
  };
}

// The same window as a padding_eval input line.
function evalLine(c) {
  const kind = c.family.startsWith('pool') ? 'pool' : 'conv';
  const autoPad = c.pads ? 'NOTSET' : (c.pad === 'same' ? 'SAME_UPPER' : 'VALID');
  const pads = c.pads || new Array(2 * c.spatial).fill(0);
  return [kind, c.spatial, autoPad, 0, c.pads ? 1 : 0, ...c.n, ...c.k, ...c.s, ...c.d, ...pads]
    .join(' ');
}

// Why a window is not compared number for number, or null when it is.
function skipReason(c, want) {
  if (want.out.some((v) => v < 0))
    return 'TF output size negative (TF rejects it; convgraph must reject it too)';
  if (want.out.some((v) => v === 0))
    return 'TF output size 0 (TF allows an empty output; convgraph rejects sizes below 1)';
  if (c.spatial === 3 && c.pad === 'same' && want.begin.concat(want.end).some((v) => v < 0))
    return 'tfjs 3-D SAME leaves a negative total unclamped (kernel_shape_util clamps it); ' +
           'output sizes compared only';
  return null;
}

function main() {
  const cases = [];
  const expected = [];
  const skipped = new Map();
  for (let i = 0; i < COUNT; i++) {
    const c = drawCase(i);
    try {
      expected.push(tfjsExpect(c));
      cases.push(c);
    } catch (e) {
      const reason = 'tfjs throws: ' + String(e.message).split('\n')[0];
      skipped.set(reason, (skipped.get(reason) || 0) + 1);
    }
  }
  const run = spawnSync(evalPath, [], { input: cases.map(evalLine).join('\n') + '\n',
                                        encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) {
    console.error(`padding_eval failed (status ${run.status}): ${run.stderr}`);
    process.exit(1);
  }
  const got = run.stdout.split('\n').filter((l) => l.length > 0);
  if (got.length !== cases.length) {
    console.error(`padding_eval answered ${got.length} lines for ${cases.length} windows`);
    process.exit(1);
  }

  let passed = 0;
  const failures = [];
  cases.forEach((c, i) => {
    const want = expected[i];
    const reason = skipReason(c, want);
    const fields = got[i].split(' ');
    const ok = fields[0] === 'ok';
    const nums = fields.slice(1).map(Number);
    const ours = ok ? { out: nums.slice(0, c.spatial), begin: nums.slice(c.spatial, 2 * c.spatial),
                        end: nums.slice(2 * c.spatial) } : null;
    let agree;
    if (reason && reason.startsWith('TF output size'))
      agree = !ok; // both must refuse the window
    else if (reason)
      agree = ok && ours.out.join() === want.out.join();
    else
      agree = ok && ['out', 'begin', 'end'].every((f) => ours[f].join() === want[f].join());
    if (!agree)
      failures.push(`${evalLine(c)}\n    tfjs: ${JSON.stringify(want)}\n    ours: ${got[i]}`);
    else if (reason)
      skipped.set(reason, (skipped.get(reason) || 0) + 1);
    else
      passed++;
  });

  for (const f of failures.slice(0, 10))
    console.log('FAIL ' + f);
  for (const [reason, n] of skipped)
    console.log(`skipped ${n}: ${reason}`);
  const skippedTotal = [...skipped.values()].reduce((a, b) => a + b, 0);
  console.log(`${passed} passed, ${failures.length} failed, ${skippedTotal} skipped` +
              ` (seed ${SEED}, tfjs-core ${tf.version_core})`);
  if (failures.length > 0 || passed < MIN_COMPARED) {
    if (passed < MIN_COMPARED)
      console.log(`only ${passed} windows compared, want at least ${MIN_COMPARED}`);
    process.exit(1);
  }
}

main();
