/*
 * sitegen search.
 *
 * On every page: "/" moves the focus to the search box in the header.
 * On search/index.html: results as you type, from the Lunr index sitegen
 * builds: search/index.js sets window.SITEGEN_SEARCH (the site's statistics
 * and the list of shards), then each search/shard-K.js adds its papers and
 * the terms they bring (SearchIndex below). All are plain scripts, so the page also works from file://.
 *
 * The query functions below are pure and run unchanged in Node, where the
 * tests call them against the real index (tests/search_query.js):
 *
 *   new SearchIndex(meta), .add(shard) -> lunr.Index per shard, searched as one
 *   rewriteQuery(text, fields) -> the plan: lunr query syntax, or clauses
 *   search(index, text)        -> {mode, hits, message, required}; never throws on input
 *   searchAgain(index, text, last) -> search() as shards arrive, searching only new ones when it can
 *   groupHits(hits, required)  -> {every, some}: hits with every word, then the rest
 *   statusSentence(facts)      -> "3 papers match all words of “…”; 40 more match some."
 *   archiveFacets(meta, filters) -> the filters' counts over the whole archive
 *   segments(text, isMatch)    -> text cut into marked / unmarked pieces
 *   snippet(text, isMatch)     -> ~160 characters around the first match
 *   authorLine(entry, isMatch) -> the names a result shows, as segments
 *   hitOrder(sort, store, positions) -> the comparator of hits for a Sort choice
 *   sortHits(hits, store, sort, positions) -> a sorted copy of hits
 *   parseState(search, options), formatState(state) -> the address and back
 *
 * Paper text only ever reaches the page as text nodes (textContent,
 * createTextNode), never as HTML.
 */
(function () {
  "use strict";

  // The browser has window.lunr from static/vendor/lunr/; Node requires the same file.
  // (Not `typeof lunr`: a script's own `const lunr` would make that throw.)
  var lunrLib = (typeof window !== "undefined" && window.lunr) ||
    (typeof require === "function" ? require("./vendor/lunr/lunr.js") : null);

  /**
   * The index's fields, for a caller that has no index at hand: the page and
   * search() use the ones search/index.js lists (SearchIndex#fields), which
   * sitegen writes from FIELDS in sitegen/search/lunr_index.py; a test keeps
   * this copy equal to it.
   */
  var FIELDS = ["title", "tags", "keywords", "authors", "abstract", "organisation"];
  /** The last word, while it is being typed, also matches as the start of longer words from this length on. */
  var PREFIX_MIN = 2;
  /**
   * Boost of the prefix clause when the typed word is already a word of the
   * index: longer words it starts ("aim", "aig" for "ai") then rank after
   * papers with the word itself. A word that is no term yet ("halluc") gets
   * the full boost 1 for its prefix.
   */
  var PREFIX_BOOST = 0.1;
  /** Shortest index term taken as the stem of a half-typed word ("hallucinat" -> "hallucin"). */
  var BACKOFF_MIN = 4;
  var SNIPPET_LENGTH = 160;
  var PAGE_SIZE = 50;
  var DEBOUNCE_MS = 100;

  // --- query rewriting (pure) ---------------------------------------------

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function fieldPattern(fields) {
    return fields.map(escapeRegExp).join("|");
  }

  /**
   * Does the text use lunr's query syntax on purpose? Only forms people do not
   * paste by accident count: `title:word` with a known field, `+word` / `-word`
   * at the start of a word, `*` next to a word, `word~1`, `word^2`. A title
   * full of colons, hyphens and plus signs ("CodeRL+: Improving ...",
   * "Context-Alignment: ...", "Values -- A Survey") is plain words.
   */
  function usesSyntax(text, fields) {
    var field = new RegExp("(?:^|\\s)[+-]?(?:" + fieldPattern(fields) + "):[^\\s:]");
    return field.test(text) ||
      /(?:^|\s)[+-][^\s+\-]/.test(text) ||
      /[^\s*]\*|\*[^\s*]/.test(text) ||
      /[^\s~^]~\d/.test(text) ||
      /[^\s~^]\^\d/.test(text);
  }

  function isStopWord(word) {
    return !lunrLib.stopWordFilter(new lunrLib.Token(word, {}));
  }

  function trimmed(word) {
    return lunrLib.trimmer(new lunrLib.Token(word, {})).toString();
  }

  /**
   * lunr.tokenizer then lunr.trimmer: the words the index was built from, in
   * lower case, as [{word, parts}]. A word with a colon inside
   * ("php:reasoning") also gives its parts, since the index keeps such words
   * whole but people mean the parts.
   */
  function queryWords(text) {
    var words = [];
    lunrLib.tokenizer(text).forEach(function (token) {
      var word = trimmed(token.toString());
      if (word === "") {
        return;
      }
      var parts = word.indexOf(":") === -1 ? [] : word.split(":").map(trimmed).filter(function (part) {
        return part !== "";
      });
      words.push({ word: word, parts: parts });
    });
    return words;
  }

  /**
   * The words a paper must have to match every word of the text, each as
   * {words, prefix}: any of `words` (after the index's pipeline), or, for the
   * word being typed, any index term starting with `prefix`. Stop words are
   * never required; a colon word's parts are, each also met by the whole word.
   */
  function requiredWords(groups, typing) {
    var required = [];
    var known = Object.create(null);
    function requirement(alternatives) {
      var key = alternatives.join(" ");
      if (!known[key]) {
        known[key] = { words: alternatives, prefix: null };
        required.push(known[key]);
      }
      return known[key];
    }
    var last = null;
    var lastWord = "";
    groups.forEach(function (group) {
      var parts = group.parts.filter(function (part) { return !isStopWord(part); });
      var found = parts.length ? parts.map(function (part) { return requirement([part, group.word]); }) :
        isStopWord(group.word) ? [] : [requirement([group.word])];
      lastWord = group.parts.length ? group.parts[group.parts.length - 1] : group.word;
      last = isStopWord(lastWord) ? null : found[found.length - 1];
    });
    if (typing && last && lastWord.length >= PREFIX_MIN) {
      last.prefix = lastWord;
    }
    return required;
  }

  /**
   * The plan for a plain-words search: every word that is not a stop word is
   * an optional clause run through the index's pipeline (stemmer), so the
   * words are OR-ed and ranked, and a long pasted title still ranks its own
   * paper first. While the last word is being typed (the text ends in a
   * letter or digit) it is also a trailing wildcard, so `halluc` finds
   * hallucination.
   */
  function wordsPlan(text, fields) {
    // A known field with nothing after it (`title:`) is syntax being typed: drop it.
    var cleaned = text.replace(new RegExp("(^|\\s)[+-]?(?:" + fieldPattern(fields) + "):(?=\\s|$)", "g"), "$1");
    var groups = queryWords(cleaned);
    var words = [];
    groups.forEach(function (group) { words.push.apply(words, [group.word].concat(group.parts)); });
    var typing = /[0-9A-Za-z\u00c0-\uffff]$/.test(cleaned);
    var clauses = [];
    var stopWords = [];
    var seen = Object.create(null);
    words.forEach(function (word, position) {
      if (isStopWord(word)) {
        stopWords.push(word);
      } else if (!seen[word]) {
        seen[word] = true;
        clauses.push({ term: word, usePipeline: true, boost: 1 });
      }
      if (typing && position === words.length - 1 && word.length >= PREFIX_MIN) {
        clauses.push({ term: word, usePipeline: false, boost: 1, prefix: true });
      }
    });
    return {
      mode: "words", words: words, stopWords: stopWords, typing: typing, clauses: clauses,
      required: requiredWords(groups, typing)
    };
  }

  /**
   * What to ask lunr for `text`: {mode: "empty"}, {mode: "syntax", query},
   * or {mode: "words", clauses, words, stopWords, typing, required}.
   */
  function rewriteQuery(text, fields) {
    var value = text == null ? "" : String(text);
    var names = fields || FIELDS;
    if (value.trim() === "") {
      return { mode: "empty" };
    }
    if (usesSyntax(value, names)) {
      return { mode: "syntax", query: value.trim() };
    }
    return wordsPlan(value, names);
  }

  // --- the index, shard by shard ---------------------------------------------

  var FORMAT = "sitegen-search-6";

  /** Metadata of every posting: the index keeps no positions. lunr only reads it. */
  var NO_METADATA = Object.freeze(Object.create(null));

  /**
   * lunr's token set of some terms: a trie of lunr.TokenSet nodes whose
   * edges are only made when lunr first walks them. It accepts the same
   * words as the minimized set lunr.Index.load builds, and lists edges in the
   * same (sorted) order, so a wildcard or fuzzy term expands to the same
   * words in the same order (the order scores are summed in); but a query
   * visits a few hundred nodes of the tens of thousands that building the
   * whole set would cost before the first search.
   */
  function vocabularyTokenSet(terms) {
    return trieNode(terms.slice().sort(), 0, terms.length, 0);
  }

  /** The node for the terms sorted[start..end), which share their first `depth` characters. */
  function trieNode(sorted, start, end, depth) {
    var node = new lunrLib.TokenSet();
    node.final = start < end && sorted[start].length === depth;
    var edges = null;
    Object.defineProperty(node, "edges", {
      enumerable: true,
      get: function () {
        if (edges === null) {
          edges = {};
          for (var i = node.final ? start + 1 : start; i < end;) {
            var letter = sorted[i].charAt(depth);
            var next = i + 1;
            while (next < end && sorted[next].charAt(depth) === letter) {
              next++;
            }
            edges[letter] = trieNode(sorted, i, next, depth + 1);
            i = next;
          }
        }
        return edges;
      }
    });
    return node;
  }

  /**
   * One token set accepting the words of all of `sets` (tries of disjoint
   * terms: the terms each shard defines), its edges made as lunr walks them
   * and listed in sorted order, as in a single trie of all the words.
   */
  function unionTokenSet(sets) {
    if (sets.length === 1) {
      return sets[0];
    }
    var node = new lunrLib.TokenSet();
    node.final = sets.some(function (set) { return set.final; });
    var edges = null;
    Object.defineProperty(node, "edges", {
      enumerable: true,
      get: function () {
        if (edges === null) {
          var children = Object.create(null);
          sets.forEach(function (set) {
            var own = set.edges;
            Object.keys(own).forEach(function (label) {
              (children[label] || (children[label] = [])).push(own[label]);
            });
          });
          edges = {};
          Object.keys(children).sort().forEach(function (label) {
            edges[label] = unionTokenSet(children[label]);
          });
        }
        return edges;
      }
    });
    return node;
  }

  /**
   * A text that is the same for two token sets of the same shape (labels,
   * finality, edges), whatever their node ids: a query term's automaton,
   * rebuilt by each shard, gets the same key every time.
   */
  function shapeOf(tokenSet) {
    var numbers = new Map([[tokenSet, 0]]);
    var stack = [tokenSet];
    var lines = [];
    while (stack.length) {
      var node = stack.pop();
      var line = [numbers.get(node), node.final];
      Object.keys(node.edges).sort().forEach(function (label) {
        var child = node.edges[label];
        if (!numbers.has(child)) {
          numbers.set(child, numbers.size);
          stack.push(child);
        }
        line.push(label, numbers.get(child));
      });
      lines.push(JSON.stringify(line));
    }
    return lines.join("");
  }

  /**
   * Make `tokenSet.intersect` remember its answers in `answers` (cleared
   * after each query): within one query every shard expands the same terms
   * against the same vocabulary (an edit-distance-2 term costs milliseconds
   * each time). While `tracing.trace` is a list, each expansion worked out
   * is written down in it (`SearchIndex#traced`).
   */
  function rememberExpansions(tokenSet, answers, tracing) {
    var intersect = lunrLib.TokenSet.prototype.intersect;
    tokenSet.intersect = function (query) {
      var key = shapeOf(query);
      if (!answers.has(key)) {
        answers.set(key, intersect.call(this, query));
        if (tracing.trace) {
          tracing.trace.push(key + " " + answers.get(key).toArray().join(" "));
        }
      }
      return answers.get(key);
    };
    return tokenSet;
  }

  /**
   * The site's search index, filled shard by shard (see sitegen/search/shards.py
   * for the files). Each shard becomes a lunr.Index holding exactly its papers'
   * part of the index lunr's builder makes of the whole site: weights come from
   * the site-wide statistics (document count and field lengths from index.js,
   * each term's df from the shard that defines it), and every shard numbers
   * terms as the whole site does and expands query terms against the terms of
   * every shard added so far: lunr divides a paper's score by the length of
   * the query vector, which holds every term a query term expands to,
   * matched in that shard or not. Once every shard is in, a query scores each
   * paper as the single index would; before, as if the archive had only the
   * terms of the shards in. `query` and `search` run on every shard added so
   * far and merge the hits.
   */
  function SearchIndex(meta) {
    if (!meta || meta.format !== FORMAT) {
      throw new Error("the search index is not in the format this page reads (" + FORMAT + ")");
    }
    var count = meta.documents;
    this.meta = meta;
    this.fields = meta.fields;
    this.pipeline = lunrLib.Pipeline.load(meta.pipeline);
    // Every term of the shards in, with no papers: a shard finds the terms it lacks here,
    // through its own inverted index's prototype.
    this.invertedIndex = Object.create(null);
    this.idf = [];
    this.tries = [];
    this.expansions = new Map();
    this.tracing = { trace: null };
    this.tokenSet = rememberExpansions(new lunrLib.TokenSet(), this.expansions, this.tracing);
    this.averageFieldLength = meta.fieldLengths.map(function (sum) { return sum / count; });
    this.parts = [];
    this.refs = [];
    this.positions = Object.create(null);
    this.store = Object.create(null);
  }

  /** Forget the expansions remembered for a query. */
  SearchIndex.prototype.forgetExpansions = function () {
    this.expansions.clear();
  };

  /**
   * run() and what it learnt of the vocabulary: {result, trace}, the trace
   * a text listing every expansion and every term looked up (hasTerm). Two
   * runs with the same trace saw the same vocabulary, as far as it matters.
   */
  SearchIndex.prototype.traced = function (run) {
    var trace = [];
    var tracing = this.tracing;
    tracing.trace = trace;
    try {
      var result = run();
    } finally {
      tracing.trace = null;
    }
    return { result: result, trace: trace.join("\n") };
  };

  SearchIndex.prototype.complete = function () {
    return this.parts.length === this.meta.shards.length;
  };

  /**
   * Add one shard (the object a search/shard-K.js file pushes), after the
   * shards before it: the last `df.length` of its terms are the ones it
   * defines, numbered on from the terms defined before, and the others were
   * defined by those shards.
   */
  SearchIndex.prototype.add = function (shard) {
    var meta = this.meta;
    var fields = this.fields;
    var k1 = meta.k1;
    var b = meta.b;
    var count = meta.documents;
    var first = this.idf.length;
    var known = shard.terms.length - shard.df.length;
    var t;
    for (t = 0; t < shard.terms.length; t++) {
      if ((this.invertedIndex[shard.terms[t]] === undefined) !== (t >= known)) {
        throw new Error("a search shard was added out of order (term " + JSON.stringify(shard.terms[t]) + ")");
      }
    }
    var defined = shard.terms.slice(known);
    for (t = 0; t < defined.length; t++) {
      var entry = { _index: first + t };
      for (var g = 0; g < fields.length; g++) {
        entry[fields[g]] = NO_METADATA;
      }
      this.invertedIndex[defined[t]] = entry;
      var x = (count - shard.df[t] + 0.5) / (shard.df[t] + 0.5);
      this.idf.push(Math.log(1 + Math.abs(x)));  // lunr.idf
    }
    if (defined.length) {
      this.tries.push(vocabularyTokenSet(defined));
      this.tokenSet = rememberExpansions(unionTokenSet(this.tries), this.expansions, this.tracing);
      this.parts.forEach(function (part) { part.tokenSet = this.tokenSet; }, this);
    }
    var numbers = shard.terms.map(function (term) { return this.invertedIndex[term]._index; }, this);
    var refsByTerm = shard.terms.map(function () { return new Array(fields.length); });
    var fieldVectors = Object.create(null);
    for (var i = 0; i < shard.docs.length; i++) {
      var ref = shard.refs[i];
      for (var f = 0; f < fields.length; f++) {
        var ids = shard.docs[i][f];
        var length = ids.length;
        var norm = k1 * (1 - b + b * (length / this.averageFieldLength[f]));
        var elements = [];
        var local = -1;
        var j = 0;
        while (j < length) {
          local += ids[j];
          var tf = 1;
          for (j++; j < length && ids[j] === 0; j++) {
            tf++;
          }
          var number = numbers[local];
          // lunr.Builder#createFieldVectors, operation for operation (the document boost is 1).
          var score = this.idf[number] * ((k1 + 1) * tf) / (norm + tf);
          score *= meta.boosts[f];
          elements.push(number, Math.round(score * 1000) / 1000);
          (refsByTerm[local][f] || (refsByTerm[local][f] = [])).push(ref);
        }
        fieldVectors[fields[f] + "/" + ref] = new lunrLib.Vector(elements);
      }
      this.positions[ref] = this.refs.length;
      this.refs.push(ref);
      this.store[ref] = shard.store[i];
    }
    var invertedIndex = Object.create(this.invertedIndex);
    for (t = 0; t < shard.terms.length; t++) {
      var posting = { _index: numbers[t] };
      for (f = 0; f < fields.length; f++) {
        var refs = refsByTerm[t][f];
        var byRef = NO_METADATA;
        if (refs) {
          // Created without a prototype, such objects start as hash tables: far faster to fill.
          byRef = Object.create(null);
          for (var r = 0; r < refs.length; r++) {
            byRef[refs[r]] = NO_METADATA;
          }
        }
        posting[fields[f]] = byRef;
      }
      invertedIndex[shard.terms[t]] = posting;
    }
    this.parts.push(new lunrLib.Index({
      invertedIndex: invertedIndex,
      fieldVectors: fieldVectors,
      tokenSet: this.tokenSet,
      fields: fields,
      pipeline: this.pipeline
    }));
  };

  /**
   * lunr.Index#query over every shard added so far: hits by score, equal
   * scores newest first (site order), whatever the shards.
   */
  SearchIndex.prototype.query = function (fn) {
    var hits = [];
    try {
      this.parts.forEach(function (part) {
        part.query(fn).forEach(function (hit) { hits.push(hit); });
      });
    } finally {
      this.forgetExpansions();
    }
    return this.ranked(hits);
  };

  /** Hits by score, equal scores in site order: the order of `query`, for hits gathered in pieces. */
  SearchIndex.prototype.ranked = function (hits) {
    return hits.sort(relevanceOrder(this.positions));
  };

  /**
   * The same index restricted to the shards from number `first` on: searching
   * it gives those shards' hits, scored as in the whole index (with the
   * vocabulary of every shard added).
   */
  SearchIndex.prototype.from = function (first) {
    var view = Object.create(this);
    view.parts = this.parts.slice(first);
    return view;
  };

  /** lunr.Index#search: lunr's query syntax. */
  SearchIndex.prototype.search = function (text) {
    return this.query(function (query) {
      new lunrLib.QueryParser(text, query).parse();
    });
  };

  // --- running queries (pure, given an index) -----------------------------

  function hasOwn(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  function hasTerm(index, term) {
    var found = hasOwn(index.invertedIndex, term);
    if (index.tracing && index.tracing.trace) {
      index.tracing.trace.push((found ? "+" : "-") + term);
    }
    return found;
  }

  function expandsTo(index, prefix) {
    return index.tokenSet.intersect(lunrLib.TokenSet.fromString(prefix + "*")).toArray();
  }

  /**
   * A half-typed word past its stem ("hallucinat", "alignmen") is no prefix
   * of any index term; the longest index term it starts with stands in, so
   * results do not vanish mid-word.
   */
  function backoffTerm(index, word) {
    for (var end = word.length - 1; end >= BACKOFF_MIN; end--) {
      if (hasTerm(index, word.slice(0, end))) {
        return word.slice(0, end);
      }
    }
    return null;
  }

  function runClauses(index, clauses) {
    return index.query(function (query) {
      clauses.forEach(function (clause) {
        query.term(clause.term, {
          usePipeline: clause.usePipeline,
          boost: clause.boost,
          wildcard: clause.prefix ? lunrLib.Query.wildcard.TRAILING : lunrLib.Query.wildcard.NONE
        });
      });
    });
  }

  function quoted(words) {
    return words.map(function (word) { return "\u201c" + word + "\u201d"; }).join(", ");
  }

  function runWords(index, plan) {
    var clauses = plan.clauses.map(function (clause) {
      return { term: clause.term, usePipeline: clause.usePipeline, boost: clause.boost, prefix: clause.prefix };
    });
    var required = plan.required.map(function (requirement) {
      var terms = [];
      requirement.words.forEach(function (word) { terms.push.apply(terms, index.pipeline.runString(word)); });
      return { terms: terms, prefixes: requirement.prefix === null ? [] : [requirement.prefix] };
    });
    var last = clauses.length ? clauses[clauses.length - 1] : null;
    if (last && last.prefix) {
      var isWord = index.pipeline.runString(last.term).some(function (term) { return hasTerm(index, term); });
      if (isWord) {
        last.boost = PREFIX_BOOST;
      } else if (expandsTo(index, last.term).length === 0) {
        var stand = backoffTerm(index, last.term);
        if (stand !== null) {
          clauses.push({ term: stand, usePipeline: false, boost: 1 });
          plan.required.forEach(function (requirement, number) {
            if (requirement.prefix === last.term) {
              required[number].terms.push(stand);
            }
          });
        }
      }
    }
    if (clauses.length === 0) {
      var message = plan.stopWords.length
        ? quoted(plan.stopWords) + (plan.stopWords.length === 1 ? " is" : " are") +
          " too common to search for. Try a more specific word."
        : "Nothing to search for: type a word.";
      return { mode: "words", hits: [], message: message, required: [] };
    }
    return { mode: "words", hits: runClauses(index, clauses), message: null, required: required };
  }

  /**
   * Does the hit have every required word ({terms, prefixes}, from
   * search())? Decided from lunr's matchData: the index terms the hit was
   * found by are the keys of its metadata.
   */
  function matchesEveryWord(hit, required) {
    var metadata = hit.matchData.metadata;
    var found = null;
    return required.every(function (requirement) {
      if (requirement.terms.some(function (term) { return hasOwn(metadata, term); })) {
        return true;
      }
      found = found || Object.keys(metadata);
      return requirement.prefixes.some(function (prefix) {
        return found.some(function (term) { return term.lastIndexOf(prefix, 0) === 0; });
      });
    });
  }

  /** `hits` as {every, some}: those with every required word, then the rest, each in the order given. */
  function groupHits(hits, required) {
    var groups = { every: [], some: [] };
    hits.forEach(function (hit) {
      (matchesEveryWord(hit, required) ? groups.every : groups.some).push(hit);
    });
    return groups;
  }

  /**
   * Query syntax, parsed by lunr's own parser; each plain term is then trimmed
   * the way the index was (`title:reasoning,` finds reasoning). Throws
   * lunr.QueryParseError for what lunr cannot read.
   */
  function runSyntax(index, text) {
    var parsed = new lunrLib.Query(index.fields);
    new lunrLib.QueryParser(text, parsed).parse();
    var clauses = parsed.clauses.filter(function (clause) {
      if (clause.term.indexOf("*") === -1) {
        clause.term = trimmed(clause.term);
      }
      return clause.term !== "";
    });
    if (clauses.length === 0) {
      // lunr would treat a query without clauses as "everything".
      return { mode: "syntax", hits: [], message: "Nothing to search for: type a word.", required: [] };
    }
    var hits = index.query(function (query) {
      // A copy per run: lunr rewrites a clause's term as it runs it, and a sharded index runs it once per shard.
      clauses.forEach(function (clause) { query.clauses.push(Object.assign({}, clause)); });
    });
    return { mode: "syntax", hits: hits, message: null, required: [] };
  }

  /**
   * Search `index` for what a person typed. Returns {mode, hits, message,
   * required}: mode is "empty", "words", "syntax" or "fallback" (syntax lunr
   * could not parse, searched as plain words); message, when set, explains
   * the result; required lists the words a hit must have to match every word
   * (matchesEveryWord), none for query syntax, whose `+` says it already.
   */
  function search(index, text) {
    var plan = rewriteQuery(text, index.fields);
    if (plan.mode === "empty") {
      return { mode: "empty", hits: [], message: null, required: [] };
    }
    if (plan.mode === "syntax") {
      try {
        return runSyntax(index, plan.query);
      } catch (error) {
        if (!(error instanceof lunrLib.QueryParseError)) {
          throw error;
        }
        var words = plan.query
          .replace(new RegExp("(^|\\s)[+-]?(?:" + fieldPattern(index.fields) + "):", "g"), "$1")
          .replace(/[+\-*~^:]/g, " ");
        var answer = runWords(index, wordsPlan(words, index.fields));
        var note = "Searched for the words instead of the query syntax (" + error.message + ").";
        return { mode: "fallback", hits: answer.hits, message: answer.message || note, required: answer.required };
      }
    }
    return runWords(index, plan);
  }

  // --- highlighting and snippets (pure, given a matcher) --------------------

  var SEPARATOR = new RegExp(lunrLib ? lunrLib.tokenizer.separator.source : "[\\s\\-]+", "g");

  /** Words of `text` as lunr.tokenizer splits them, with offsets into the original text. */
  function wordSpans(text) {
    var spans = [];
    var start = 0;
    var match;
    SEPARATOR.lastIndex = 0;
    while ((match = SEPARATOR.exec(text)) !== null) {
      if (match.index > start) {
        spans.push([start, match.index]);
      }
      start = match.index + match[0].length;
      if (match[0].length === 0) {
        SEPARATOR.lastIndex++;
      }
    }
    if (start < text.length) {
      spans.push([start, text.length]);
    }
    return spans;
  }

  /**
   * A function word -> boolean: does lunr's pipeline (trimmer, then the
   * index's search pipeline) turn this word into a term of the hit, matched
   * in `field`? That is how lunr itself matched it, so stems and prefixes
   * are marked as they were found, and stop words never are.
   */
  function termMatcher(index, metadata, field) {
    var cache = Object.create(null);
    return function (word) {
      var key = word.toLowerCase();
      if (!(key in cache)) {
        var token = lunrLib.trimmer(new lunrLib.Token(key, {}));
        var terms = token.toString() === "" ? [] : index.pipeline.run([token]);
        cache[key] = terms.some(function (term) {
          var name = term.toString();
          return hasOwn(metadata, name) && hasOwn(metadata[name], field);
        });
      }
      return cache[key];
    };
  }

  /** The part of a word lunr.trimmer keeps: marks leave out quotes, brackets, commas. */
  function coreOf(text, span) {
    var word = text.slice(span[0], span[1]);
    var lead = /^\W*/.exec(word)[0].length;
    var trail = /\W*$/.exec(word.slice(lead))[0].length;
    return [span[0] + lead, span[1] - trail];
  }

  /**
   * `text[from:to]` as [{text, mark}] pieces, marking the words `isMatch`
   * accepts; adjacent pieces of one kind are joined.
   */
  function segments(text, isMatch, from, to) {
    var start = from == null ? 0 : from;
    var end = to == null ? text.length : to;
    var pieces = [];
    var position = start;
    function push(piece, mark) {
      if (piece === "") {
        return;
      }
      var previous = pieces[pieces.length - 1];
      if (previous && previous.mark === mark) {
        previous.text += piece;
      } else {
        pieces.push({ text: piece, mark: mark });
      }
    }
    wordSpans(text).forEach(function (span) {
      if (span[0] < start || span[1] > end || !isMatch(text.slice(span[0], span[1]))) {
        return;
      }
      var core = coreOf(text, span);
      if (core[0] >= core[1]) {
        return;
      }
      push(text.slice(position, core[0]), false);
      push(text.slice(core[0], core[1]), true);
      position = core[1];
    });
    push(text.slice(position, end), false);
    return pieces;
  }

  /**
   * About `length` characters of `text`, cut at word boundaries and centred
   * on the first word `isMatch` accepts (the start of the text if none), as
   * segments with the matches marked and "…" where text was left out.
   */
  function snippet(text, isMatch, length) {
    var size = length || SNIPPET_LENGTH;
    var spans = wordSpans(text);
    if (text.length <= size) {
      return segments(text, isMatch);
    }
    var first = null;
    for (var i = 0; i < spans.length; i++) {
      if (isMatch(text.slice(spans[i][0], spans[i][1]))) {
        first = spans[i];
        break;
      }
    }
    var start = 0;
    if (first !== null) {
      var centre = (first[0] + first[1]) / 2;
      start = Math.max(0, Math.min(Math.round(centre - size / 2), text.length - size));
    }
    var end = Math.min(text.length, start + size);
    // Whole words only: start at a word start, end at a word end.
    var inside = spans.filter(function (span) { return span[0] >= start && span[1] <= end; });
    if (inside.length === 0) {
      inside = first !== null ? [first] : spans.slice(0, 1);
    }
    start = start === 0 ? 0 : inside[0][0];
    end = end === text.length ? end : inside[inside.length - 1][1];
    var pieces = segments(text, isMatch, start, end);
    if (start > 0) {
      pieces.unshift({ text: "\u2026", mark: false });
    }
    if (end < text.length) {
      pieces.push({ text: "\u2026", mark: false });
    }
    return pieces;
  }

  /**
   * The authors a result shows, as segments: the store's names (the first
   * few) joined with ", ", the words `isMatch` accepts marked, then " et al."
   * (never marked) when the paper has more authors; [] without names.
   */
  function authorLine(entry, isMatch) {
    if (!entry.n || !entry.n.length) {
      return [];
    }
    var pieces = segments(entry.n.join(", "), isMatch);
    if (entry.m) {
      var last = pieces[pieces.length - 1];
      if (last && !last.mark) {
        last.text += " et al.";
      } else {
        pieces.push({ text: " et al.", mark: false });
      }
    }
    return pieces;
  }

  // --- sorting (pure) --------------------------------------------------------

  /**
   * The orders results can be sorted in, the default first: the values of the
   * Sort select and of `sort=` in the address.
   */
  var SORTS = ["relevance", "newest", "discussed"];
  var SORT_NOTES = { newest: "newest first", discussed: "most discussed first" };

  /** Relevance: by score, equal scores in site order (newest first): the order lunr's hits are ranked in. */
  function relevanceOrder(positions) {
    return function (a, b) { return b.score - a.score || positions[a.ref] - positions[b.ref]; };
  }

  /** A count of the store, 0 when unknown (left out). */
  function countOf(value) {
    return typeof value === "number" ? value : 0;
  }

  /** Does the listing give the paper a comment or an upvote count (0 counts too)? */
  function isCounted(entry) {
    return typeof entry.c === "number" || typeof entry.v === "number";
  }

  /** ISO dates, newest first; undated after every dated one. */
  function byDate(a, b) {
    if (!a || !b) {
      return a ? -1 : b ? 1 : 0;
    }
    return a < b ? 1 : a > b ? -1 : 0;
  }

  /**
   * The comparator of hits for `sort` (one of SORTS; anything else is
   * relevance), given the store and the papers' positions in site order:
   *   relevance: score, then site order;
   *   newest:    date (undated last), then relevance;
   *   discussed: papers with a comment or upvote count first, then
   *              comments, then upvotes (an unknown count as 0), then date,
   *              then relevance: the order of the site's "Most discussed"
   *              listing (sitegen/site/collect.py, most_discussed), with
   *              relevance before site order; that listing leaves out the
   *              papers with neither count, which come last here.
   * Every order ends with relevance, so it is total: the same hits give the
   * same order whichever shards they came from and in whatever order.
   */
  function hitOrder(sort, store, positions) {
    var relevance = relevanceOrder(positions);
    function entry(hit) {
      return store[hit.ref] || {};
    }
    if (sort === "newest") {
      return function (a, b) {
        return byDate(entry(a).d, entry(b).d) || relevance(a, b);
      };
    }
    if (sort === "discussed") {
      return function (a, b) {
        var x = entry(a);
        var y = entry(b);
        return (isCounted(y) - isCounted(x)) || countOf(y.c) - countOf(x.c) || countOf(y.v) - countOf(x.v) ||
          byDate(x.d, y.d) || relevance(a, b);
      };
    }
    return relevance;
  }

  /** A copy of `hits` in the order `sort` names (hitOrder); `hits` is left as it was. */
  function sortHits(hits, store, sort, positions) {
    return hits.slice().sort(hitOrder(sort, store, positions));
  }

  /** `sort` if it is one of SORTS, else the default (relevance). */
  function knownSort(sort) {
    return SORTS.indexOf(sort) === -1 ? SORTS[0] : sort;
  }

  // --- filters and the URL (pure) ------------------------------------------

  function yearOf(entry) {
    return entry.d ? entry.d.slice(0, 4) : "undated";
  }

  function matchesFilters(entry, filters, skip) {
    if (skip !== "tag" && filters.tag && (entry.g || []).indexOf(filters.tag) === -1) {
      return false;
    }
    if (skip !== "year" && filters.year && yearOf(entry) !== filters.year) {
      return false;
    }
    return true;
  }

  /** The hits that have the tag and the year in `filters` (either may be ""). */
  function filterHits(hits, store, filters) {
    return hits.filter(function (hit) {
      var entry = store[hit.ref];
      return Boolean(entry) && matchesFilters(entry, filters);
    });
  }

  /**
   * For each filter, how many of `hits` each value would leave, the other
   * filter applied: {tags: {name: n}, years: {year: n}}.
   */
  function facets(hits, store, filters) {
    var counts = { tags: Object.create(null), years: Object.create(null) };
    hits.forEach(function (hit) {
      var entry = store[hit.ref];
      if (!entry) {
        return;
      }
      if (matchesFilters(entry, filters, "tag")) {
        (entry.g || []).forEach(function (tag) { counts.tags[tag] = (counts.tags[tag] || 0) + 1; });
      }
      if (matchesFilters(entry, filters, "year")) {
        var year = yearOf(entry);
        counts.years[year] = (counts.years[year] || 0) + 1;
      }
    });
    return counts;
  }

  /**
   * facets() over the whole archive, from the counts search/index.js carries
   * (`yearCounts`, `tagYearCounts`): what the filters offer before anything
   * is typed, known before any shard has arrived.
   */
  function archiveFacets(meta, filters) {
    var counts = { tags: Object.create(null), years: Object.create(null) };
    var column = filters.year ? meta.years.indexOf(filters.year) : -1;
    var row = filters.tag ? meta.tags.indexOf(filters.tag) : -1;
    meta.tags.forEach(function (tag, number) {
      var byYear = meta.tagYearCounts[number];
      counts.tags[tag] = column === -1 ? byYear.reduce(function (sum, n) { return sum + n; }, 0) : byYear[column];
    });
    meta.years.forEach(function (year, number) {
      counts.years[year] = row === -1 ? meta.yearCounts[number] : meta.tagYearCounts[row][number];
    });
    return counts;
  }

  function paperCount(count, adjective) {
    return (count === 0 ? "No" : String(count)) + " " + adjective + (count === 1 ? "paper" : "papers");
  }

  function agreeing(count, verb) {
    return count === 1 ? verb + "es" : verb;
  }

  /**
   * The status line's sentence for results: `count` papers shown for the
   * text `query` (may be "") and the filters `tag` and `year`, `every` of
   * them with every word (fewer than `count` when some have only some), in
   * the order `sort`:
   *   "16 papers tagged safety.", "1 paper from 2025.", "No undated papers.",
   *   "3 papers match “reward model” in 2025, tagged safety.",
   *   "3 papers match all words of “reward model”; 40 more match some, newest first."
   */
  function statusSentence(facts) {
    var undated = facts.year === "undated";
    var adjective = undated ? "undated " : "";
    var count = facts.count;
    var sentence;
    if (!facts.query) {
      sentence = paperCount(count, adjective) + (facts.year && !undated ? " from " + facts.year : "") +
        (facts.tag ? " tagged " + facts.tag : "");
    } else {
      var scope = "\u201c" + facts.query + "\u201d" + (facts.year && !undated ? " in " + facts.year : "") +
        (facts.tag ? ", tagged " + facts.tag : "");
      var every = facts.every == null ? count : facts.every;
      if (every < count) {
        var some = count - every;
        sentence = paperCount(every, adjective) + " " + agreeing(every, "match") + " all words of " + scope + "; " +
          some + (every === 0 ? " " : " more ") + agreeing(some, "match") + " some";
      } else {
        sentence = paperCount(count, adjective) + " " + agreeing(count, "match") + " " + scope;
      }
    }
    return sentence + (count > 1 && SORT_NOTES[facts.sort] ? ", " + SORT_NOTES[facts.sort] : "") + ".";
  }

  /** Every tag and year of the store: {tags: [...sorted], years: [...newest first, "undated" last]}. */
  function filterOptions(store) {
    var tags = Object.create(null);
    var years = Object.create(null);
    Object.keys(store).forEach(function (ref) {
      (store[ref].g || []).forEach(function (tag) { tags[tag] = true; });
      years[yearOf(store[ref])] = true;
    });
    var yearList = Object.keys(years).filter(function (year) { return year !== "undated"; }).sort().reverse();
    if (years.undated) {
      yearList.push("undated");
    }
    return { tags: Object.keys(tags).sort(), years: yearList };
  }

  /**
   * `?q=...&tag=...&year=...&sort=...` -> {q, tag, year, sort}; unknown tags
   * and years are dropped, and an unknown or missing sort is relevance.
   */
  function parseState(search, options) {
    var params = new URLSearchParams(search);
    var tag = params.get("tag") || "";
    var year = params.get("year") || "";
    if (options) {
      tag = options.tags.indexOf(tag) === -1 ? "" : tag;
      year = options.years.indexOf(year) === -1 ? "" : year;
    }
    return { q: params.get("q") || "", tag: tag, year: year, sort: knownSort(params.get("sort") || "") };
  }

  /**
   * {q, tag, year, sort} -> "?q=...&tag=...&year=...&sort=..." without empty
   * parts or the default sort ("" when nothing is left).
   */
  function formatState(state) {
    var params = new URLSearchParams();
    if (state.q) {
      params.set("q", state.q);
    }
    if (state.tag) {
      params.set("tag", state.tag);
    }
    if (state.year) {
      params.set("year", state.year);
    }
    if (state.sort && knownSort(state.sort) !== SORTS[0]) {
      params.set("sort", knownSort(state.sort));
    }
    var text = params.toString();
    return text ? "?" + text : "";
  }

  // --- the page ----------------------------------------------------------

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function dateLabel(iso) {
    var parts = iso.split("-");
    return MONTHS[Number(parts[1]) - 1] + " " + Number(parts[2]) + ", " + parts[0];
  }

  function element(name, attributes, text) {
    var node = document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text != null) {
      node.textContent = text;
    }
    return node;
  }

  /** " · " between two items of a card's meta line. */
  function appendSeparator(meta) {
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(element("span", { "class": "sep", "aria-hidden": "true" }, "\u00b7"));
    meta.appendChild(document.createTextNode(" "));
  }

  function appendPieces(parent, pieces) {
    pieces.forEach(function (piece) {
      parent.appendChild(piece.mark ? element("mark", {}, piece.text) : document.createTextNode(piece.text));
    });
  }

  function isTextEntry(target) {
    if (!target || target.nodeType !== 1) {
      return false;
    }
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function installShortcut(input) {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
        return;
      }
      if (isTextEntry(event.target)) {
        return;
      }
      event.preventDefault();
      input.focus();
      input.select();
    });
  }

  function SearchPage(page, input, meta) {
    this.page = page;
    this.input = input;
    this.index = new SearchIndex(meta);
    this.store = this.index.store;
    this.total = meta.documents;
    this.root = page.getAttribute("data-root") || "";
    this.options = { tags: meta.tags, years: meta.years };
    this.status = document.getElementById("search-status");
    this.list = document.getElementById("search-results");
    // Papers with only some of the words go under their own heading; a theme's search.html without them lists all in one.
    this.everyHeading = document.getElementById("search-every-heading");
    this.someHeading = document.getElementById("search-some-heading");
    this.someList = document.getElementById("search-results-some");
    if (!this.everyHeading || !this.someHeading || !this.someList) {
      this.someList = null;
    }
    this.split = -1;
    this.more = document.getElementById("search-more");
    this.tagSelect = document.getElementById("search-tag");
    this.yearSelect = document.getElementById("search-year");
    // A theme's own search.html may predate the Sort select: results are then by relevance.
    this.sortSelect = document.getElementById("search-sort");
    this.baseTitle = document.title;
    this.timer = null;
    this.failure = "";
    this.last = null;
    this.committed = true;
    this.shown = [];
    this.rendered = 0;
  }

  SearchPage.prototype.start = function () {
    var self = this;
    document.getElementById("search-filters").hidden = false;
    this.readUrl();
    this.input.addEventListener("input", function () {
      window.clearTimeout(self.timer);
      self.timer = window.setTimeout(function () { self.update(false); }, DEBOUNCE_MS);
    });
    this.input.form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.clearTimeout(self.timer);
      self.update(true);
    });
    // A new sort re-orders the hits already found (answer() keeps them): no search runs again.
    [this.tagSelect, this.yearSelect, this.sortSelect].forEach(function (select) {
      if (select) {
        select.addEventListener("change", function () { self.update(true); });
      }
    });
    this.more.addEventListener("click", function () { self.showMore(true); });
    window.addEventListener("popstate", function () {
      window.clearTimeout(self.timer);
      self.readUrl();
    });
    if (!this.input.value) {
      this.input.focus();
    }
    this.loadShards();
  };

  /**
   * Fetch the shards newest first with plain script tags (file:// refuses
   * fetch), all requested at once and run in order; results are refreshed as
   * each one arrives, so the newest papers are searchable first.
   */
  SearchPage.prototype.loadShards = function () {
    var self = this;
    function fail() {
      if (!self.failure) {
        self.failure = "Part of the search index could not be loaded, so some papers may be missing from the results.";
        self.render(self.state());
      }
    }
    this.index.meta.shards.forEach(function (shard) {
      var script = document.createElement("script");
      script.src = self.root + "search/" + shard.file;
      script.async = false;
      script.addEventListener("load", function () {
        var queue = window.SITEGEN_SEARCH_SHARDS || [];
        try {
          while (queue.length) {
            self.index.add(queue.shift());
          }
        } catch (error) {
          fail();
          return;
        }
        // Refresh the results, still showing as many as the reader had asked for.
        var asked = self.rendered;
        self.render(self.state());
        while (self.rendered < Math.min(asked, self.shown.length)) {
          self.showMore(false);
        }
      });
      script.addEventListener("error", fail);
      document.head.appendChild(script);
    });
  };

  SearchPage.prototype.state = function () {
    return {
      q: this.input.value,
      tag: this.tagSelect.value,
      year: this.yearSelect.value,
      sort: knownSort(this.sortSelect ? this.sortSelect.value : "")
    };
  };

  /** Show what the address says (on load and on back / forward). */
  SearchPage.prototype.readUrl = function () {
    var state = parseState(window.location.search, this.options);
    this.input.value = state.q;
    fitHeight(this.input);
    this.fillOptions(state);
    if (this.sortSelect) {
      this.sortSelect.value = state.sort;
    }
    this.render(state);
    this.committed = true;
  };

  /**
   * Search, then record the state in the address: a submit or a filter change
   * is a new history entry; typing replaces the entry it started, so back
   * goes to the search before, not to each keystroke.
   */
  SearchPage.prototype.update = function (commit) {
    var state = this.state();
    this.render(state);
    var target = window.location.pathname + formatState(state);
    var current = window.location.pathname + window.location.search;
    try {
      if (target !== current) {
        if (commit || this.committed) {
          window.history.pushState(null, "", target);
        } else {
          window.history.replaceState(null, "", target);
        }
      }
    } catch (error) {
      // Some browsers refuse history changes on file:// pages; the results still show.
    }
    if (commit) {
      this.committed = true;
    } else if (target !== current) {
      this.committed = false;
    }
  };

  function yearLabel(year) {
    return year === "undated" ? "Undated" : year;
  }

  function tagLabel(tag) {
    return tag;
  }

  /** Rebuild both selects from every tag and year of the store, choosing the state's. */
  SearchPage.prototype.fillOptions = function (state) {
    function fill(select, values, label, chosen, emptyLabel) {
      while (select.firstChild) {
        select.removeChild(select.firstChild);
      }
      select.appendChild(element("option", { value: "" }, emptyLabel));
      values.forEach(function (value) {
        select.appendChild(element("option", { value: value }, label(value)));
      });
      select.value = chosen;
    }
    fill(this.tagSelect, this.options.tags, tagLabel, state.tag, "All tags");
    fill(this.yearSelect, this.options.years, yearLabel, state.year, "All years");
  };

  /** Label each option with the number of results it would leave. */
  SearchPage.prototype.showCounts = function (counts) {
    function relabel(select, countsOf, label) {
      Array.prototype.forEach.call(select.options, function (option) {
        if (option.value) {
          option.textContent = label(option.value) + " (" + (countsOf[option.value] || 0) + ")";
        }
      });
    }
    relabel(this.tagSelect, counts.tags, tagLabel);
    relabel(this.yearSelect, counts.years, yearLabel);
  };

  /**
   * search() for `text`, as the page runs it while shards arrive: `last` is
   * what this function returned before, or null. When the text is the same
   * and the shards added since do not change what the search learns of the
   * vocabulary (the same expansions, the same terms known: the trace), only
   * the new shards are searched and their hits merged in; re-searching every
   * shard at each arrival made loading 10,000 papers take twice as long.
   * Otherwise every shard is searched again: scores follow the vocabulary of
   * the shards in (how many terms a wildcard expands to, whether a typed word
   * is a term yet), so the final answer is always that of the whole index.
   * Returns {text, parts, answer, trace}; the same object when nothing new is in.
   */
  function searchAgain(index, text, last) {
    if (last && last.text === text && last.parts === index.parts.length) {
      return last;
    }
    if (last && last.text === text) {
      var fresh = index.traced(function () { return search(index.from(last.parts), text); });
      if (fresh.trace === last.trace) {
        var answer = {
          mode: fresh.result.mode, message: fresh.result.message, required: fresh.result.required,
          hits: index.ranked(last.answer.hits.concat(fresh.result.hits))
        };
        return { text: text, parts: index.parts.length, answer: answer, trace: fresh.trace };
      }
    }
    var whole = index.traced(function () { return search(index, text); });
    return { text: text, parts: index.parts.length, answer: whole.result, trace: whole.trace };
  }

  SearchPage.prototype.answer = function (text) {
    this.last = searchAgain(this.index, text, this.last);
    return this.last.answer;
  };

  SearchPage.prototype.render = function (state) {
    var query = state.q.trim();
    var answer;
    try {
      answer = this.answer(state.q);
    } catch (error) {
      this.last = null;
      answer = { mode: "error", hits: [], message: "Sorry, that search could not be run. Try plain words." };
    }
    var hits = answer.hits;
    if (answer.mode === "empty" && (state.tag || state.year)) {
      // Filters alone list every paper they match, newest first.
      hits = this.index.refs.map(function (ref) {
        return { ref: ref, score: 0, matchData: { metadata: {} } };
      });
    }
    // Without words, the counts over the whole archive, from index.js: right before any shard is in.
    this.showCounts(answer.mode === "empty" ? archiveFacets(this.index.meta, state) : facets(hits, this.store, state));
    // Sorted at every render, so the hits merged from a shard that just arrived take their place too.
    var sorted = sortHits(filterHits(hits, this.store, state), this.store, state.sort, this.index.positions);
    var groups = groupHits(sorted, answer.required || []);
    var shown = groups.every.concat(groups.some);

    var sentence;
    var loading = this.index.complete() || this.failure ? "" :
      "Still loading: " + this.index.refs.length + " of " + this.total + " papers searched so far.";
    if (answer.mode === "empty" && !state.tag && !state.year) {
      sentence = "Type in the search box above to search " + this.total + " papers.";
      loading = "";
    } else if (shown.length === 0 && answer.message && hits.length === 0) {
      sentence = "";
    } else {
      sentence = statusSentence({
        query: query, tag: tagLabel(state.tag), year: state.year, count: shown.length, every: groups.every.length,
        sort: state.sort
      });
    }
    this.status.textContent = [answer.message, sentence, loading, this.failure].filter(Boolean).join(" ");
    document.title = query ? "\u201c" + query + "\u201d \u2013 " + this.baseTitle : this.baseTitle;

    [this.list, this.someList].forEach(function (list) {
      while (list && list.firstChild) {
        list.removeChild(list.firstChild);
      }
    });
    this.shown = shown;
    this.split = this.someList && groups.some.length ? groups.every.length : -1;
    this.rendered = 0;
    this.showMore(false);
  };

  SearchPage.prototype.showMore = function (moveFocus) {
    var start = this.rendered;
    var end = Math.min(this.shown.length, start + PAGE_SIZE);
    var firstLink = null;
    for (var i = start; i < end; i++) {
      var card = this.card(this.shown[i]);
      (this.split !== -1 && i >= this.split ? this.someList : this.list).appendChild(card);
      firstLink = firstLink || card.querySelector("a");
    }
    this.rendered = end;
    if (this.someList) {
      this.everyHeading.hidden = this.split <= 0;
      this.someHeading.hidden = this.someList.hidden = this.split === -1 || end <= this.split;
    }
    this.more.hidden = end >= this.shown.length;
    if (moveFocus && firstLink) {
      firstLink.focus();
    }
  };

  SearchPage.prototype.card = function (hit) {
    var entry = this.store[hit.ref];
    var metadata = hit.matchData.metadata;
    var root = this.root;
    var item = element("li", { "class": "paper-card" });

    // Under the group headings (h2), a card's title is one level down.
    var heading = element(this.split === -1 ? "h2" : "h3", { "class": "paper-title" });
    var link = element("a", { href: root + entry.u + "index.html" });
    appendPieces(link, segments(entry.t, termMatcher(this.index, metadata, "title")));
    heading.appendChild(link);
    item.appendChild(heading);

    var meta = element("p", { "class": "meta" });
    if (entry.d) {
      var month = element("a", { href: root + "dates/" + entry.d.slice(0, 4) + "/" + entry.d.slice(5, 7) + "/index.html" });
      month.appendChild(element("time", { datetime: entry.d }, dateLabel(entry.d)));
      meta.appendChild(month);
    } else {
      meta.appendChild(element("a", { href: root + "dates/undated/index.html" }, "Undated"));
    }
    if (entry.o) {
      appendSeparator(meta);
      meta.appendChild(element("span", { "class": "org" }, entry.o));
    }
    var names = authorLine(entry, termMatcher(this.index, metadata, "authors"));
    if (names.length) {
      // As the other pages' cards show them: the first names, then "et al.".
      appendSeparator(meta);
      var authors = element("span", { "class": "authors" });
      appendPieces(authors, names);
      meta.appendChild(authors);
    }
    // The listing's counts, as the other pages' cards show them ("12 comments · 40 upvotes"); 0 is a count.
    [["c", "comments", "comment"], ["v", "upvotes", "upvote"]].forEach(function (count) {
      var value = entry[count[0]];
      if (typeof value === "number") {
        appendSeparator(meta);
        meta.appendChild(element("span", { "class": count[1] }, value + " " + count[2] + (value === 1 ? "" : "s")));
      }
    });
    item.appendChild(meta);

    if (entry.g && entry.g.length) {
      var tags = element("ul", { "class": "tags", "aria-label": "Tags" });
      entry.g.forEach(function (tag) {
        var pill = element("li");
        pill.appendChild(element("a", { "class": "tag", href: root + "tags/" + encodeURIComponent(tag) + "/index.html" }, tag));
        tags.appendChild(pill);
      });
      item.appendChild(tags);
    }

    var excerpt = element("p", { "class": "excerpt" });
    appendPieces(excerpt, snippet(entry.a || "", termMatcher(this.index, metadata, "abstract")));
    item.appendChild(excerpt);
    return item;
  };

  /**
   * Make a textarea's height that of its lines (the search page's query box is
   * one, so a long pasted title wraps in full on a phone instead of running
   * out of sight); an input is left as it is.
   */
  function fitHeight(box) {
    if (box.tagName !== "TEXTAREA") {
      return;
    }
    var style = window.getComputedStyle(box);
    box.style.overflowY = "hidden";
    box.style.height = "auto";
    box.style.height = box.scrollHeight + parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth) + "px";
  }

  /**
   * A textarea query box behaves as a search field: Enter submits, line breaks
   * pasted with a title become spaces, and it grows with its text.
   */
  function installGrowingBox(box) {
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        if (box.form.requestSubmit) {
          box.form.requestSubmit();
        } else {
          box.form.submit();
        }
      }
    });
    box.addEventListener("input", function () {
      if (/[\r\n]/.test(box.value)) {
        var caret = box.value.slice(0, box.selectionStart).replace(/\s*[\r\n]+\s*/g, " ").length;
        box.value = box.value.replace(/\s*[\r\n]+\s*/g, " ");
        box.setSelectionRange(caret, caret);
      }
      fitHeight(box);
    });
    window.addEventListener("resize", function () { fitHeight(box); });
    fitHeight(box);
  }

  function init() {
    var input = document.querySelector("form.site-search input[name='q'], form.site-search textarea[name='q']");
    if (!input) {
      return;
    }
    installShortcut(input);
    if (input.tagName === "TEXTAREA") {
      installGrowingBox(input);
    }
    var page = document.getElementById("search-page");
    if (!page) {
      return;
    }
    var status = document.getElementById("search-status");
    var meta = window.SITEGEN_SEARCH;
    if (!lunrLib || !meta) {
      status.textContent = "The search index could not be loaded. Browse the papers by tag or by date instead.";
      return;
    }
    try {
      new SearchPage(page, input, meta).start();
    } catch (error) {
      status.textContent = "Search could not start (" + error.message + "). Browse the papers by tag or by date instead.";
    }
  }

  var api = {
    FIELDS: FIELDS,
    SearchIndex: SearchIndex,
    rewriteQuery: rewriteQuery,
    usesSyntax: usesSyntax,
    search: search,
    searchAgain: searchAgain,
    termMatcher: termMatcher,
    segments: segments,
    snippet: snippet,
    authorLine: authorLine,
    filterHits: filterHits,
    facets: facets,
    archiveFacets: archiveFacets,
    matchesEveryWord: matchesEveryWord,
    groupHits: groupHits,
    statusSentence: statusSentence,
    filterOptions: filterOptions,
    SORTS: SORTS,
    hitOrder: hitOrder,
    sortHits: sortHits,
    parseState: parseState,
    formatState: formatState
  };

  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  }
  if (typeof document !== "undefined" && typeof window !== "undefined") {
    init();
  }
}());
