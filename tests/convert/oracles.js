// The reference runtimes for tests/convert/convert_tests.py, in one node process.
//
// usage: node oracles.js NPM_PREFIX JOB.json
//
// JOB.json: {"runs": [RUN...], "result": "PATH.json"} where RUN is either
//   {"kind": "ort", "model": "m.onnx", "inputs": {NAME: TENSOR}}
//     onnxruntime-node runs the model (CPU); outputs in session order;
//   {"kind": "tf_conv2d", "x": TENSOR (NHWC), "w": TENSOR (HWIO), "strides": S,
//    "padding": "same"|"valid", "dilations": D}
//     tfjs-core's conv2d on the CPU backend: TensorFlow's kernel and padding code.
// TENSOR = {"dims": [...], "file": "raw little-endian float32"}. Each result is
// {"outputs": [{"name", "dims", "file"}]} or {"error": "message"}: a runtime that
// refuses a model is a finding for the test, not a crash here.
'use strict';
const fs = require('fs');
const path = require('path');

const [prefix, jobPath] = process.argv.slice(2);
const load = (name) => require(path.join(prefix, 'node_modules', name));

function readTensor(t) {
  const buf = fs.readFileSync(t.file);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

function writeOutput(base, k, name, dims, data) {
  const file = `${base}.out${k}.bin`;
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return {name, dims, file};
}

async function runOrt(ort, run, base) {
  const session = await ort.InferenceSession.create(run.model);
  const feeds = {};
  for (const [name, t] of Object.entries(run.inputs))
    feeds[name] = new ort.Tensor('float32', readTensor(t), t.dims);
  const results = await session.run(feeds);
  return {outputs: session.outputNames.map((name, k) =>
    writeOutput(base, k, name, Array.from(results[name].dims), results[name].data))};
}

async function runTfConv2d(tf, run, base) {
  const x = tf.tensor(readTensor(run.x), run.x.dims);
  const w = tf.tensor(readTensor(run.w), run.w.dims);
  const y = tf.conv2d(x, w, run.strides, run.padding, 'NHWC', run.dilations);
  return {outputs: [writeOutput(base, 0, 'y', y.shape, await y.data())]};
}

async function main() {
  const job = JSON.parse(fs.readFileSync(jobPath, 'utf8'));
  const ort = job.runs.some((r) => r.kind === 'ort') ? load('onnxruntime-node') : null;
  let tf = null;
  if (job.runs.some((r) => r.kind === 'tf_conv2d')) {
    tf = load('@tensorflow/tfjs-core');
    load('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
  }
  const results = [];
  for (const [i, run] of job.runs.entries()) {
    const base = `${job.result}.${i}`;
    try {
      results.push(run.kind === 'ort' ? await runOrt(ort, run, base)
                                      : await runTfConv2d(tf, run, base));
    } catch (e) {
      results.push({error: String(e && e.message ? e.message : e).split('\n')[0]});
    }
  }
  fs.writeFileSync(job.result, JSON.stringify(results));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
