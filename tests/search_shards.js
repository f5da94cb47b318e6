#!/usr/bin/env node
// Load a site's sharded search index the way the search page does
// (tests/site_index.js) and report what the Python tests compare.
//
//   node tests/search_shards.js SITE_DIR < REQUEST.json
//
// REQUEST.json is an object; every key is optional:
//   "shards": n        load only the first n shards (default: all)
//   "whole": true      also give JSON.stringify(wholeIndexJSON(index))
//   "queries": [...]   lunr query strings, run with SearchIndex#search
//   "reference": path  a lunr serialized index (JSON file): the queries are
//                      also run on lunr.Index.load of it, as "referenceHits"
//   "page": [...]      {"query", "tag"?, "year"?}: search.js's search() and
//                      filterHits(), as the search page runs them
//   "traces": true     also give, per query, what it learnt of the vocabulary
//                      (SearchIndex#traced), as "traces"
//   "arrivals": [...]  texts typed in the page: searchAgain() after each shard
//                      is added, as the page runs it while they arrive; gives
//                      per text {hits: the answer once all are in, searches:
//                      how many arrivals changed what it learnt of the
//                      vocabulary, so that every shard was searched again}
// Prints one JSON object: {meta, refs, store: [[ref, entry], ...] in
// index.refs order, parts, complete, whole?, hits?, referenceHits?, page?,
// traces?, arrivals?}.
// A query answer is [[ref, score], ...] in the order returned, or
// "QueryParseError: <message>" when lunr.js rejects the query.
'use strict'

const fs = require('fs')
const path = require('path')

const { loadSiteIndex, wholeIndexJSON } = require('./site_index.js')

const STATIC = path.join(__dirname, '..', 'sitegen', 'theme', 'static')
const lunr = require(path.join(STATIC, 'vendor', 'lunr', 'lunr.js'))
const search = require(path.join(STATIC, 'search.js'))

function pairs (hits) {
  return hits.map(function (hit) { return [hit.ref, hit.score] })
}

function run (index, query) {
  try {
    return pairs(index.search(query))
  } catch (error) {
    if (error instanceof lunr.QueryParseError) {
      return 'QueryParseError: ' + error.message
    }
    throw error
  }
}

function main (argv) {
  if (argv.length !== 1) {
    process.stderr.write('usage: node search_shards.js SITE_DIR < REQUEST.json\n')
    return 2
  }
  const request = JSON.parse(fs.readFileSync(0, 'utf8'))
  const { index, meta } = loadSiteIndex(argv[0], { shards: request.shards === null ? undefined : request.shards })
  const out = {
    meta: meta,
    refs: index.refs,
    store: index.refs.map(function (ref) { return [ref, index.store[ref]] }),
    parts: index.parts.length,
    complete: index.complete()
  }
  if (request.whole) {
    out.whole = JSON.stringify(wholeIndexJSON(index))
  }
  const queries = request.queries || []
  out.hits = queries.map(function (query) { return run(index, query) })
  if (request.reference) {
    const reference = lunr.Index.load(JSON.parse(fs.readFileSync(request.reference, 'utf8')))
    out.referenceHits = queries.map(function (query) { return run(reference, query) })
  }
  if (request.traces) {
    out.traces = queries.map(function (query) { return index.traced(function () { return run(index, query) }).trace })
  }
  out.arrivals = (request.arrivals || []).map(function (text) {
    let searches = 0
    let last = null
    loadSiteIndex(argv[0], {
      added: function (growing) {
        const again = search.searchAgain(growing, text, last)
        searches += last === null || again.trace !== last.trace
        last = again
      }
    })
    return { hits: pairs(last.answer.hits), searches: searches }
  })
  out.page = (request.page || []).map(function (testCase) {
    const answer = search.search(index, testCase.query)
    const hits = search.filterHits(answer.hits, index.store, { tag: testCase.tag || '', year: testCase.year || '' })
    return { mode: answer.mode, message: answer.message, hits: pairs(hits) }
  })
  process.stdout.write(JSON.stringify(out) + '\n')
  return 0
}

process.exitCode = main(process.argv.slice(2))
