// Time what a browser does with a built site's search index, in Node with the vendored lunr.js.
//
//   node benchmarks/query_bench.js SITE_DIR [RUNS]
//
// Reports JSON.parse and lunr.Index.load of SITE_DIR/search/index.json (median of
// RUNS loads, default 5), then the latency of each query below (median of RUNS
// runs each): the median over queries and the worst query, with hit counts.
'use strict'

const fs = require('fs')
const path = require('path')
const lunr = require(path.join(__dirname, '..', 'theme', 'static', 'vendor', 'lunr', 'lunr.js'))

const QUERIES = [
  'reasoning', 'alignment', 'large language models', 'reinforcement learning', 'benchmark',
  'hallucination detection', 'title:survey', 'tags:safety', 'reason*', 'multi*', '*ment',
  '+graph -vision', '+reasoning +logic', 'aligning', 'code generation', 'preference optimization',
  'reasonnig~1', 'aligment~2', 'vision-language model', 'xylophone', 'diffusion^10 video',
]

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function ms (start) {
  return Number(process.hrtime.bigint() - start) / 1e6
}

function main () {
  const site = process.argv[2]
  const runs = Number(process.argv[3] || 5)
  if (!site) {
    console.error('usage: node benchmarks/query_bench.js SITE_DIR [RUNS]')
    process.exit(2)
  }
  const text = fs.readFileSync(path.join(site, 'search', 'index.json'), 'utf8')
  const parses = []
  const loads = []
  let index
  for (let i = 0; i < runs; i++) {
    let start = process.hrtime.bigint()
    const data = JSON.parse(text)
    parses.push(ms(start))
    start = process.hrtime.bigint()
    index = lunr.Index.load(data)
    loads.push(ms(start))
  }
  const rows = []
  for (const query of QUERIES) {
    const times = []
    let hits = 0
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint()
      hits = index.search(query).length
      times.push(ms(start))
    }
    rows.push({ query, ms: median(times), first: times[0], hits })
  }
  const latencies = rows.map(row => row.ms)
  const worst = rows.reduce((a, b) => (b.ms > a.ms ? b : a))
  const result = {
    index_bytes: Buffer.byteLength(text),
    terms: Object.keys(index.invertedIndex).length,
    json_parse_ms: median(parses),
    index_load_ms: median(loads),
    parse_and_load_ms: median(parses) + median(loads),
    query_median_ms: median(latencies),
    query_worst_ms: worst.ms,
    query_worst: worst.query,
    queries: rows
  }
  console.log(JSON.stringify(result, null, 1))
}

main()
