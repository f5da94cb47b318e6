#!/usr/bin/env node
// Run search.js's result orders (sitegen/theme/static/search.js, as shipped) in Node:
// the comparator on hand-made hits, the `sort=` part of the address, and the
// orders of real searches on a built site, its shards added one by one as the
// search page adds them.
//
//   node tests/search_sort.js SITE_DIR < REQUEST.json
//
// REQUEST.json is an object; every key is optional:
//   "sorts": [{"sort", "hits": [{ref, score}], "store": {ref: entry}, "positions": {ref: n}}]
//            -> "sorted": the refs of sortHits(hits, store, sort, positions), per case,
//               and "unchanged": whether sortHits left its input as it was
//   "parse": [[search, options or null]] -> "parsed": parseState(search, options)
//   "format": [state]                      -> "formatted": formatState(state)
//   "queries": [text]                      -> "orders": per query, for SITE_DIR's index with
//               every shard in: {"relevance": search()'s refs as it returns them,
//               "<sort>": the refs of sortHits(search()'s hits, <sort>) for each of SORTS,
//               "<sort>/shuffled": the same from the hits reversed then rotated},
//               and "progressive": per query, per shard added, {"<sort>": refs}: the
//               hits merged as the page merges them (new shards searched, hits
//               ranked with the earlier ones), then sorted
//   "listing": [{"tag"?, "year"?}]         -> "listings": per case, {"<sort>": refs}: the
//               filter-only listing (every paper, no words) as the page sorts it
// Prints one JSON object with "sorts" (SORTS) and the answers above.
'use strict'

const fs = require('fs')
const path = require('path')
const vm = require('vm')

const { loadSiteIndex } = require('./site_index.js')

const search = require(path.join(__dirname, '..', 'sitegen', 'theme', 'static', 'search.js'))

function refs (hits) {
  return hits.map(function (hit) { return hit.ref })
}

function orders (index, hits) {
  const out = {}
  search.SORTS.forEach(function (sort) {
    out[sort] = refs(search.sortHits(hits, index.store, sort, index.positions))
    const shuffled = hits.slice().reverse()
    shuffled.push.apply(shuffled, shuffled.splice(0, Math.floor(shuffled.length / 2)))
    out[sort + '/shuffled'] = refs(search.sortHits(shuffled, index.store, sort, index.positions))
  })
  return out
}

function runScript (file, window) {
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), { window: window, JSON: JSON }, { filename: file })
}

/**
 * What the page shows after each shard arrives: searchAgain() merges the new shard's hits (or searches
 * every shard again), render() sorts them all; and, as `fresh`, what a search of the shards in gives.
 */
function progressive (site, query) {
  const folder = path.join(site, 'search')
  const window = {}
  runScript(path.join(folder, 'index.js'), window)
  const index = new search.SearchIndex(window.SITEGEN_SEARCH)
  const steps = []
  let last = null
  window.SITEGEN_SEARCH.shards.forEach(function (shard) {
    runScript(path.join(folder, shard.file), window)
    while (window.SITEGEN_SEARCH_SHARDS.length) {
      index.add(window.SITEGEN_SEARCH_SHARDS.shift())
    }
    last = search.searchAgain(index, query, last)
    const fresh = search.search(index, query).hits
    const step = { fresh: {} }
    search.SORTS.forEach(function (sort) {
      step[sort] = refs(search.sortHits(last.answer.hits, index.store, sort, index.positions))
      step.fresh[sort] = refs(search.sortHits(fresh, index.store, sort, index.positions))
    })
    steps.push(step)
  })
  return steps
}

function main (argv) {
  if (argv.length !== 1) {
    process.stderr.write('usage: node search_sort.js SITE_DIR < REQUEST.json\n')
    return 2
  }
  const request = JSON.parse(fs.readFileSync(0, 'utf8'))
  const out = { sorts: search.SORTS }
  out.sorted = (request.sorts || []).map(function (testCase) {
    const before = JSON.stringify(testCase.hits)
    const sorted = search.sortHits(testCase.hits, testCase.store, testCase.sort, testCase.positions)
    return { refs: refs(sorted), unchanged: JSON.stringify(testCase.hits) === before }
  })
  out.parsed = (request.parse || []).map(function (pair) { return search.parseState(pair[0], pair[1] || undefined) })
  out.formatted = (request.format || []).map(function (state) { return search.formatState(state) })
  if (request.queries || request.listing) {
    const { index } = loadSiteIndex(argv[0])
    out.orders = (request.queries || []).map(function (query) {
      const hits = search.search(index, query).hits
      return Object.assign({ relevance: refs(hits) }, orders(index, hits))
    })
    out.progressive = (request.queries || []).map(function (query) { return progressive(argv[0], query) })
    out.listings = (request.listing || []).map(function (filters) {
      const all = index.refs.map(function (ref) { return { ref: ref, score: 0, matchData: { metadata: {} } } })
      const hits = search.filterHits(all, index.store, { tag: filters.tag || '', year: filters.year || '' })
      const listing = {}
      search.SORTS.forEach(function (sort) {
        listing[sort] = refs(search.sortHits(hits, index.store, sort, index.positions))
      })
      return listing
    })
  }
  process.stdout.write(JSON.stringify(out) + '\n')
  return 0
}

process.exitCode = main(process.argv.slice(2))
