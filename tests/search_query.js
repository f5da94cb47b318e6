#!/usr/bin/env node
// Run the search box's query rewriting (sitegen/theme/static/search.js, as shipped)
// against a built site's index with the vendored lunr.js, so the Python
// tests see exactly what a visitor would. The index is loaded as the search
// page loads it: search/index.js, then every shard (tests/site_index.js).
//
//   node tests/search_query.js SITE_DIR < CASES.json
//
// CASES.json is a JSON list of {"query": text, "tag"?: name, "year"?: yyyy}.
// Prints a JSON list with, per case, either {"error": "..."} when
// search.js threw, or
//   {"plan": rewriteQuery(query), "mode", "message",
//    "hits": [{"ref", "score", "terms": {term: [field, ...]},
//              "title": [[text, marked], ...], "snippet": [[text, marked], ...],
//              "authors": [[text, marked], ...] (the names a card shows, "et al." included; [] if none),
//              "every": matchesEveryWord (listed under "all words")}]}
// with the tag and year filters applied. Anything written to the console
// while searching is reported on stderr, which the tests expect empty.
'use strict'

const fs = require('fs')
const path = require('path')

const { loadSiteIndex } = require('./site_index.js')

const search = require(path.join(__dirname, '..', 'sitegen', 'theme', 'static', 'search.js'))

function pieces (segments) {
  return segments.map(function (piece) { return [piece.text, piece.mark] })
}

function answer (index, store, testCase) {
  const result = search.search(index, testCase.query)
  const hits = search.filterHits(result.hits, store, { tag: testCase.tag || '', year: testCase.year || '' })
  return {
    plan: search.rewriteQuery(testCase.query, index.fields),
    mode: result.mode,
    message: result.message,
    hits: hits.map(function (hit) {
      const entry = store[hit.ref]
      const metadata = hit.matchData.metadata
      const terms = {}
      Object.keys(metadata).forEach(function (term) { terms[term] = Object.keys(metadata[term]).sort() })
      return {
        ref: hit.ref,
        score: hit.score,
        terms: terms,
        title: pieces(search.segments(entry.t, search.termMatcher(index, metadata, 'title'))),
        snippet: pieces(search.snippet(entry.a, search.termMatcher(index, metadata, 'abstract'))),
        authors: pieces(search.authorLine(entry, search.termMatcher(index, metadata, 'authors'))),
        every: search.matchesEveryWord(hit, result.required)
      }
    })
  }
}

function main (argv) {
  if (argv.length !== 1) {
    process.stderr.write('usage: node search_query.js SITE_DIR < CASES.json\n')
    return 2
  }
  const index = loadSiteIndex(argv[0]).index
  const store = index.store
  const cases = JSON.parse(fs.readFileSync(0, 'utf8'))

  const said = []
  for (const level of ['log', 'info', 'warn', 'error']) {
    console[level] = function () { said.push(level + ': ' + Array.from(arguments).join(' ')) }
  }
  const answers = cases.map(function (testCase) {
    try {
      return answer(index, store, testCase)
    } catch (error) {
      return { error: String(error && error.stack ? error.stack : error) }
    }
  })
  if (said.length) {
    process.stderr.write(said.join('\n') + '\n')
  }
  process.stdout.write(JSON.stringify(answers) + '\n')
  return 0
}

process.exitCode = main(process.argv.slice(2))
