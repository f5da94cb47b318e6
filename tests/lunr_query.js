#!/usr/bin/env node
// Run queries against a serialized index with the lunr.js the site ships,
// so tests compare Python's answers with the browser's.
//
//   node tests/lunr_query.js INDEX.json QUERIES.json
//
// QUERIES.json is a JSON list of query strings. Prints a JSON list with, per
// query, either [[ref, score], ...] in lunr.js's order, or a string
// "QueryParseError: <message>" when lunr.js rejects the query.
'use strict'

const fs = require('fs')
const path = require('path')

const lunr = require(path.join(__dirname, '..', 'sitegen', 'theme', 'static', 'vendor', 'lunr', 'lunr.js'))

function main (argv) {
  if (argv.length !== 2) {
    process.stderr.write('usage: node lunr_query.js INDEX.json QUERIES.json\n')
    return 2
  }
  const index = lunr.Index.load(JSON.parse(fs.readFileSync(argv[0], 'utf8')))
  const queries = JSON.parse(fs.readFileSync(argv[1], 'utf8'))

  const answers = queries.map(function (query) {
    try {
      return index.search(query).map(function (hit) { return [hit.ref, hit.score] })
    } catch (error) {
      if (error instanceof lunr.QueryParseError) {
        return 'QueryParseError: ' + error.message
      }
      throw error
    }
  })
  process.stdout.write(JSON.stringify(answers) + '\n')
  return 0
}

process.exitCode = main(process.argv.slice(2))
