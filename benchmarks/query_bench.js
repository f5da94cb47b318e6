// Time what a browser does with a built site's search files, in Node with the page's own code.
//
//   node benchmarks/query_bench.js SITE_DIR [RUNS]
//
// Loads SITE_DIR/search as the page does (tests/site_index.js: the scripts in
// a fresh vm, a fresh SearchIndex), three times per run, and reports medians
// over the RUNS runs (default 5):
//
// * time to first results: index.js (vocabulary) + the first shard, which the
//   page searches as soon as it arrives; each shard's load (median and worst
//   shard); all shards, and index.js + all shards (complete). `*_cold_ms` are
//   the first load's, before the JIT has seen the code, as on a visitor's
//   first visit.
// * the latency of each query below over (a) the first shard only, what a
//   visitor sees first, (b) all shards merged, the complete results (lunr's
//   query syntax, SearchIndex#search), and (c) all shards through search.js's
//   `search(index, text)`, the page's rewriting of what was typed: per query
//   the median over runs, then the median over queries and the worst query,
//   with hit counts.
//
// Each query runs once per run, in list order, on an index just loaded: the
// first ones pay for the collection of what loading left, as on the page.
// Load times include reading each file (from the page cache) and its
// JSON.parse, as the page's <script> does; not downloading it.
'use strict'

const fs = require('fs')
const path = require('path')
const zlib = require('zlib')
const { loadSiteIndex } = require(path.join(__dirname, '..', 'tests', 'site_index.js'))
const page = require(path.join(__dirname, '..', 'theme', 'static', 'search.js'))

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

function sum (values) {
  return values.reduce((a, b) => a + b, 0)
}

function ms (start) {
  return Number(process.hrtime.bigint() - start) / 1e6
}

/** Run every query once with `run`, adding its time to `times[query]`; return what `run` returned, by query. */
function timeQueries (run, times) {
  const answers = {}
  for (const query of QUERIES) {
    const start = process.hrtime.bigint()
    answers[query] = run(query)
    const elapsed = ms(start)
    if (!times[query]) times[query] = []
    times[query].push(elapsed)
  }
  return answers
}

function summary (rows, key) {
  const worst = rows.reduce((a, b) => (b[key] > a[key] ? b : a))
  return { median_ms: median(rows.map(row => row[key])), worst_ms: worst[key], worst: worst.query }
}

function bytes (folder, files) {
  const data = files.map(file => fs.readFileSync(path.join(folder, file)))
  return { raw: sum(data.map(d => d.length)), gzip: sum(data.map(d => zlib.gzipSync(d, { level: 6 }).length)) }
}

function main () {
  const site = process.argv[2]
  const runs = Number(process.argv[3] || 5)
  if (!site || !(runs >= 1)) {
    console.error('usage: node benchmarks/query_bench.js SITE_DIR [RUNS]')
    process.exit(2)
  }
  const loads = [] // timings of every load, in order; the first one is cold
  const firstTimes = {}
  const allTimes = {}
  const pageTimes = {}
  let meta, firstHits, allHits, pageHits
  let terms = 0 // the vocabulary: the terms the shards define
  function load (options) {
    const loaded = loadSiteIndex(site, options)
    meta = loaded.meta
    terms = Math.max(terms, loaded.index.idf.length)
    loads.push(loaded.timings)
    return loaded
  }
  // Each set of queries runs on its own freshly loaded index, in turns, so none
  // always runs on code (or a heap) another one warmed up or left to collect.
  // The first run starts with a whole load, so the cold figures are a visitor's.
  const sets = [
    function allShards () {
      const all = load()
      allHits = timeQueries(query => all.index.search(query).length, allTimes)
    },
    function pageSearch () {
      const all = load()
      pageHits = timeQueries(query => page.search(all.index, query), pageTimes)
    },
    function firstShard () {
      const first = load({ shards: 1 })
      firstHits = timeQueries(query => first.index.search(query).length, firstTimes)
    }
  ]
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < sets.length; k++) {
      sets[(i + k) % sets.length]()
    }
  }

  const files = meta.shards.map(shard => shard.file)
  const whole = loads.filter(t => t.shards.length === files.length)
  const perShard = files.map((file, k) => ({ file, ms: median((k ? whole : loads).map(t => t.shards[k])) }))
  const worstShard = perShard.reduce((a, b) => (b.ms > a.ms ? b : a))
  const firstResults = loads.map(t => t.meta + t.shards[0])
  const complete = whole.map(t => t.meta + sum(t.shards))
  const rows = QUERIES.map(query => ({
    query,
    first_shard_ms: median(firstTimes[query]),
    first_shard_hits: firstHits[query],
    all_ms: median(allTimes[query]),
    all_hits: allHits[query],
    page_ms: median(pageTimes[query]),
    page_hits: pageHits[query].hits.length,
    page_mode: pageHits[query].mode
  }))
  const folder = path.join(site, 'search')
  const result = {
    site,
    runs,
    papers: meta.documents,
    terms,
    shards: files.length,
    first_shard_papers: meta.shards[0].count,
    first_results_bytes: bytes(folder, ['index.js', files[0]]),
    all_bytes: bytes(folder, ['index.js', ...files]),
    index_js_ms: median(loads.map(t => t.meta)),
    first_shard_ms: perShard[0].ms,
    first_results_ms: median(firstResults),
    first_results_cold_ms: firstResults[0],
    shard_load_median_ms: median(perShard.map(s => s.ms)),
    shard_load_worst_ms: worstShard.ms,
    shard_load_worst: worstShard.file,
    shards_total_ms: median(whole.map(t => sum(t.shards))),
    complete_ms: median(complete),
    complete_cold_ms: complete[0],
    query_first_shard: summary(rows, 'first_shard_ms'),
    query_all_shards: summary(rows, 'all_ms'),
    query_page_search: summary(rows, 'page_ms'),
    queries: rows
  }
  console.log(JSON.stringify(result, (key, value) => (typeof value === 'number' ? Math.round(value * 1000) / 1000 : value), 1))
}

main()
