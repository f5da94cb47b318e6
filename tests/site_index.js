// Load a built site's search index in Node as the search page does: run
// search/index.js, then each shard script in order, with a `window`, and add
// the shards to a SearchIndex (sitegen/theme/static/search.js).
//
//   const { loadSiteIndex } = require('./site_index.js')
//   const { index, meta, timings } = loadSiteIndex(siteDir, { shards: n })
//
// `shards` (default: all) loads only the first n, as the page has after n
// arrived; `added(index)`, if given, is called after each shard is added.
// `timings` gives milliseconds: `meta` (run index.js and make an empty
// SearchIndex) and `shards` (run and add each).
'use strict'

const fs = require('fs')
const path = require('path')
const vm = require('vm')

const STATIC = path.join(__dirname, '..', 'sitegen', 'theme', 'static')
const lunr = require(path.join(STATIC, 'vendor', 'lunr', 'lunr.js'))
const search = require(path.join(STATIC, 'search.js'))

function elapsed (start) {
  return Number(process.hrtime.bigint() - start) / 1e6
}

function run (file, window) {
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), { window: window, JSON: JSON }, { filename: file })
}

function loadSiteIndex (site, options) {
  const folder = path.join(site, 'search')
  const window = {}
  let start = process.hrtime.bigint()
  run(path.join(folder, 'index.js'), window)
  const meta = window.SITEGEN_SEARCH
  const index = new search.SearchIndex(meta)
  const timings = { meta: elapsed(start), shards: [] }
  const wanted = options && options.shards !== undefined ? options.shards : meta.shards.length
  for (const shard of meta.shards.slice(0, wanted)) {
    start = process.hrtime.bigint()
    run(path.join(folder, shard.file), window)
    while (window.SITEGEN_SEARCH_SHARDS.length) {
      index.add(window.SITEGEN_SEARCH_SHARDS.shift())
    }
    timings.shards.push(elapsed(start))
    if (options && options.added) {
      options.added(index)
    }
  }
  return { index, meta, timings }
}

/**
 * The single lunr index the shards add up to, as lunr.js's Index#toJSON
 * writes it: each shard's own terms and vectors, merged in shard order.
 */
function wholeIndexJSON (index) {
  const postings = Object.create(null)
  const fieldVectors = []
  for (const part of index.parts) {
    const json = part.toJSON()
    json.fieldVectors.forEach(function (pair) { fieldVectors.push(pair) })
    json.invertedIndex.forEach(function (pair) {
      const term = pair[0]
      const merged = postings[term] || (postings[term] = { _index: pair[1]._index })
      index.fields.forEach(function (field) {
        merged[field] = Object.assign(merged[field] || {}, pair[1][field])
      })
    })
  }
  return {
    version: lunr.version,
    fields: index.fields,
    fieldVectors: fieldVectors,
    invertedIndex: Object.keys(postings).sort().map(function (term) { return [term, postings[term]] }),
    pipeline: index.pipeline.toJSON()
  }
}

module.exports = { loadSiteIndex, wholeIndexJSON }
