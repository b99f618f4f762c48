// Times onnxruntime-node on one model, the way `convgraph bench` times convgraph.
//
// usage: node ort_bench.js MODEL THREADS WARMUP ITERS   one JSON line on stdout
//        node ort_bench.js --baseline                    the module alone
//
// Loads the model once (intraOpNumThreads = THREADS, interOpNumThreads = 1,
// sequential execution), feeds every float input the data `convgraph bench`
// makes (splitmix64, the K-th input seeded with K, uniform in [-1, 1)), runs
// WARMUP untimed runs and ITERS timed ones, and prints
// {"times_ms": [...], "maxrss_kib": N, "output": {"min", "max", "mean"}}.
// maxrss_kib is the process's peak; --baseline prints it for a process that only
// loaded the module, so the caller can subtract what node itself takes.
// NODE_PATH (or a node_modules folder above this file) must hold onnxruntime-node.
'use strict';

const ort = require('onnxruntime-node');

const MASK64 = (1n << 64n) - 1n;

// splitmix64 as in src/core/random.c (cg_tensor_fill_random): the same stream.
function makeRandom(seed) {
  let state = BigInt(seed) & MASK64;
  return () => {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  };
}

function randomFloats(count, seed) {
  const next = makeRandom(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = Number(next() >> 11n) * (2.0 / 9007199254740992.0) - 1.0;
    next(); // the integer draw `run` makes for every element, unused for floats
  }
  return data;
}

function inputFeeds(session) {
  const feeds = {};
  session.inputNames.forEach((name, k) => {
    const meta = session.inputMetadata ? session.inputMetadata[k] : null;
    const dims = meta && meta.shape ? meta.shape : [1, 3, 224, 224];
    if (dims.some((d) => typeof d !== 'number'))
      throw new Error(`input ${name} has symbolic dims ${JSON.stringify(dims)}`);
    const count = dims.reduce((a, b) => a * b, 1);
    feeds[name] = new ort.Tensor('float32', randomFloats(count, k), dims);
  });
  return feeds;
}

function summarize(tensor) {
  let min = Infinity, max = -Infinity, sum = 0;
  for (const x of tensor.data) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
  }
  return { min, max, mean: sum / tensor.data.length };
}

async function main(argv) {
  if (argv[0] === '--baseline') {
    console.log(JSON.stringify({ maxrss_kib: process.resourceUsage().maxRSS }));
    return;
  }
  const [model, threads, warmup, iters] = [argv[0], +argv[1], +argv[2], +argv[3]];
  if (!model || !(threads >= 1) || !(warmup >= 0) || !(iters >= 1))
    throw new Error('usage: node ort_bench.js MODEL THREADS WARMUP ITERS | --baseline');
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = inputFeeds(session);
  let out;
  for (let i = 0; i < warmup; i++)
    out = await session.run(feeds);
  const times = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    out = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const first = out[session.outputNames[0]];
  console.log(JSON.stringify({
    times_ms: times,
    maxrss_kib: process.resourceUsage().maxRSS,
    output: summarize(first),
  }));
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`ort_bench.js: ${e.message}`);
  process.exit(1);
});
